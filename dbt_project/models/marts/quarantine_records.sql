-- Every record rejected at ingestion, queryable by analysts: what was wrong, where, and under which rule
-- (DATA_CONTRACT §1.6). One row per record × broken rule; `rule_count` = how many rules the record broke.
select
    q.*,
    count(*) over (partition by q.source_sha256, q.source_record) as rule_count
from {{ ref('stg_lake__quarantine') }} q
