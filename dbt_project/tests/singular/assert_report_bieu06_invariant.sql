-- The published Biểu 06 keeps col 3 = col 7 + col 11.
select * from {{ ref('report_bieu06') }}
where received_total <> resolved_total + pending_total
