-- explain_qd766_causes as published (explain/explain_qd766_causes/ in the release): the warehouse table under the
-- contract's column names.
{{ published_copy('explain_qd766_causes', ['field_code', 'procedure_code']) }}
