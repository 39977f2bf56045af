select
    ma_phieu                        as questionnaire_code,
    unit_code                       as unit_code,
    cast(ngay_khao_sat as date)     as surveyed_on,
    nguoi_tra_loi_pseudonym         as respondent_pseudonym,
    ma_tthc                         as procedure_code,
    cau_hoi                         as question,
    cast(gia_tri as integer)        as answer_value,
    ma_mong_doi                     as expectation_code,
    _source_file                    as source_file,
    _source_sha256                  as source_sha256,
    _source_record                  as source_record,
    _loaded_at                      as loaded_at
from {{ source('lake', 'survey_answers') }}
