{% macro qd766_reception_rows() %}
    {#- The dossier-based QD766 rows judged on the reception date, as (indicator_id, flag column of
        explain_qd766_dossiers, reason code of explain_qd766_causes): one list for the causes table and the analysts'
        expanded view, so a row added here reaches both. -#}
    {{ return([
        ('QD766_1_4', 'fails_qd766_1_4', 'not_synced'),
        ('QD766_3_3', 'fails_qd766_3_3', 'not_online_or_no_e_result'),
        ('QD766_3_6', 'fails_qd766_3_6', 'not_paid_online'),
        ('QD766_4_1', 'fails_qd766_4_1', 'no_e_result'),
        ('QD766_4_2', 'fails_qd766_4_2', 'not_digitised'),
        ('QD766_4_3', 'fails_qd766_4_3', 'no_digitised_reuse'),
        ('QD766_4_4', 'fails_qd766_4_4', 'no_data_store'),
        ('QD766_4_5b', 'fails_qd766_4_5b', 'no_population_data'),
    ]) }}
{% endmacro %}
