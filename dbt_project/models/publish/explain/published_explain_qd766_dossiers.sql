-- explain_qd766_dossiers as published (explain/explain_qd766_dossiers/ in the release): the warehouse table under the
-- contract's column names.
{{ published_copy('explain_qd766_dossiers', ['field_code', 'procedure_code']) }}
