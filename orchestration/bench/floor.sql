-- The benchmark "floor": QD766_2_1 and Biểu 06 straight from the raw dossier JSON, in one DuckDB script.
--
-- An independent re-implementation of the pipeline's semantics (the dbt project is the source of truth):
-- staging/dossiers, int_as_of, int_agencies, int_admin_units, int_admin_unit_tree, int_dossier_lifecycle,
-- int_periods, int_dossier_period_status, ind_bieu06, ind_values_qd766_2_1 — with the dbt vars at their defaults
-- (classification_granularity = date, office hours 07:30–11:30 / 13:30–17:00, 8 hours per working day).
-- It assumes DEFECT-FREE input (as the benchmark's generated data is): no record the pipeline would quarantine
-- (unparseable values, missing codes/reception/end, unknown agency, conflicting versions …), reference files
-- that pass their row rules.
--
-- Placeholders (a name in double curly braces; only in SQL code, never in a comment, where a literal holding a
-- line break would end the comment), substituted by floor.py with SQL literals (never raw text):
--   dossier_files   list of the raw root's dossiers/*.json in name order (a later file wins a tie)
--   as_of           the as-of TIMESTAMP, or NULL = the latest NgayCapNhat loaded
-- Tables floor.py creates before the script (every cell VARCHAR, as in the CSV files, plus src/rec = file order
-- (0 = committed seed, 1… = raw root files in name order) and 1-based row):
--   units_in(unit_code, valid_from, valid_to, unit_level, parent_code, parent_valid_from, src, rec)
--   agencies_in(agency_code, unit_code, valid_from, valid_to, src, rec)
--   procedures_in(ma_tthc, ma_linh_vuc, ten_linh_vuc, thoi_han, don_vi_thoi_han, src, rec)
--   calendar(date DATE, is_working_day BOOLEAN, working_day_index INTEGER)   2015-01-01 … 2030-12-31
-- Results: temp tables out_qd766_2_1 and out_bieu06.

-- dossier times: the national sync format yyyyMMddHHmmss (DATA_CONTRACT §1.1 a); reference dates: the formats
-- ingestion accepts for CSV cells (ISO or Vietnamese)
CREATE OR REPLACE TEMP MACRO b_ts(x) AS try_strptime(x, '%Y%m%d%H%M%S');
CREATE OR REPLACE TEMP MACRO b_date(x) AS
    CAST(try_strptime(nullif(trim(x), ''), ['%Y-%m-%d', '%Y-%m-%d %H:%M:%S', '%Y-%m-%dT%H:%M:%S', '%Y-%m-%d %H:%M',
                                            '%Y-%m-%dT%H:%M', '%d/%m/%Y %H:%M:%S', '%d/%m/%Y %H:%M', '%d/%m/%Y',
                                            '%Y-%m-%d %H:%M:%S.%f', '%Y%m%d%H%M%S']) AS DATE);
CREATE OR REPLACE TEMP MACRO b_code(x) AS nfc_normalize(nullif(trim(x), ''));
CREATE OR REPLACE TEMP MACRO b_int(x) AS TRY_CAST(TRY_CAST(nullif(trim(x), '') AS DOUBLE) AS INTEGER);
CREATE OR REPLACE TEMP MACRO b_num(x) AS TRY_CAST(nullif(trim(x), '') AS DOUBLE);
-- procedure codes d.dddddd whose trailing zeros a spreadsheet dropped get them back (ingest/sql.py procedure_code)
CREATE OR REPLACE TEMP MACRO b_procedure(x) AS
    CASE WHEN regexp_full_match(b_code(x), '\d\.\d{1,5}') THEN rpad(b_code(x), 8, '0') ELSE b_code(x) END;
-- period index of a date per period type: months, quarters, halves, years since year 0
CREATE OR REPLACE TEMP MACRO b_pidx(t, d) AS
    CASE t WHEN 'M' THEN year(d) * 12 + month(d) - 1
           WHEN 'Q' THEN year(d) * 4 + (month(d) - 1) // 3
           WHEN 'H' THEN year(d) * 2 + (month(d) - 1) // 6
           ELSE year(d) END;
-- office seconds elapsed on the day of ts at ts (working_time.sql office_seconds_elapsed, default office hours)
CREATE OR REPLACE TEMP MACRO b_office(ts) AS
    greatest(0, least(date_diff('millisecond', date_trunc('day', ts), ts) / 1000.0, 41400) - 27000)
    + greatest(0, least(date_diff('millisecond', date_trunc('day', ts), ts) / 1000.0, 61200) - 48600);

-- 1. Dossier records of every file, reduced to the fields the two results need -----------------------------
CREATE OR REPLACE TEMP TABLE b_records AS
WITH files AS (
    SELECT filename, data
    FROM read_json({{dossier_files}}, columns={'service': 'VARCHAR', 'isUpdating': 'VARCHAR', 'data':
        'STRUCT(MaHoSo VARCHAR, MaTTHC VARCHAR, MaLinhVuc VARCHAR, TenLinhVuc VARCHAR, MaDonViXuLy VARCHAR,'
        ' KenhThucHien VARCHAR, NgayNopHoSo VARCHAR, NgayTiepNhan VARCHAR, NgayHenTra VARCHAR, TrangThaiHoSo VARCHAR,'
        ' NgayKetThucXuLy VARCHAR, NgayTra VARCHAR, NgayTuChoi VARCHAR,'
        ' DanhSachHoSoBoSung STRUCT(NgayBoSung VARCHAR, NgayTiepNhanBoSung VARCHAR, NgayHenTraTruoc VARCHAR,'
        ' NgayHenTraMoi VARCHAR)[], NgayCapNhat VARCHAR)[]'},
        format='auto', maximum_object_size=2147483647, filename=true)
),
recs AS (
    SELECT list_position({{dossier_files}}, filename) AS file_ord, generate_subscripts(data, 1) AS rec,
           unnest(data) AS d
    FROM files
),
typed AS (
    SELECT
        file_ord, rec,
        b_code(d.MaHoSo) AS dossier_code,
        b_procedure(d.MaTTHC) AS procedure_code,
        b_code(d.MaLinhVuc) AS field_code,
        d.TenLinhVuc AS field_name_raw,  -- normalised per distinct value (b_fields): names only label the form
        -- attribution key: MaDonViXuLy, else the agency e-ID prefix of MaHoSo
        nullif(coalesce(b_code(d.MaDonViXuLy), regexp_extract(b_code(d.MaHoSo), '^(.+)-[0-9]{6}-[0-9]+$', 1)), '')
            AS agency_code,
        b_int(d.KenhThucHien) AS channel,
        b_int(d.TrangThaiHoSo) AS status,
        b_ts(d.NgayNopHoSo) AS submitted_at,
        b_ts(d.NgayTiepNhan) AS received_at,
        b_ts(d.NgayHenTra) AS due_at,
        b_ts(d.NgayKetThucXuLy) AS processing_ended_at,
        b_ts(d.NgayTra) AS returned_at,
        b_ts(d.NgayTuChoi) AS refused_at,
        b_ts(d.NgayCapNhat) AS updated_at,
        -- supplements sorted by request time as text (yyyyMMddHHmmss), "first" = the earliest request
        list_sort(coalesce(d.DanhSachHoSoBoSung, [])) AS sups
    FROM recs
)
SELECT * EXCLUDE (sups),
    len(sups) AS supplement_count,
    b_ts(sups[1].NgayBoSung) AS first_supplement_requested_at,
    b_ts(sups[1].NgayTiepNhanBoSung) AS first_supplement_received_at
FROM typed
WHERE dossier_code IS NOT NULL;

-- 2. One version per dossier: the latest NgayCapNhat, then the later file, then the later record ----------------
CREATE OR REPLACE TEMP TABLE b_dossiers AS
SELECT * FROM b_records
QUALIFY row_number() OVER (PARTITION BY dossier_code ORDER BY updated_at DESC NULLS LAST, file_ord DESC, rec DESC) = 1;
DROP TABLE b_records;

-- 3. As-of time and periods (int_as_of, int_periods) ----------------------------------------------------------------
CREATE OR REPLACE TEMP TABLE b_ctx AS
SELECT as_of_at, CAST(as_of_at AS DATE) AS as_of_date
FROM (SELECT coalesce({{as_of}}, (SELECT max(updated_at) FROM b_dossiers)) AS as_of_at);

CREATE OR REPLACE TEMP TABLE b_periods AS
WITH bounds AS (
    SELECT CAST(date_trunc('month', min(received_at)) AS DATE) AS first_month
    FROM b_dossiers WHERE status NOT IN (1, 3) AND received_at IS NOT NULL
),
months AS (
    SELECT CAST(unnest(generate_series(b.first_month, CAST(date_trunc('month', c.as_of_date) AS DATE), INTERVAL 1 MONTH)) AS DATE) AS m
    FROM bounds b CROSS JOIN b_ctx c
    WHERE b.first_month IS NOT NULL AND c.as_of_date IS NOT NULL
),
typed AS (
    SELECT DISTINCT 'M' AS period_type, strftime(m, '%Y-%m') AS period, m AS period_start, last_day(m) AS period_end FROM months
    UNION ALL
    SELECT DISTINCT 'Q', strftime(m, '%Y') || '-Q' || quarter(m), CAST(date_trunc('quarter', m) AS DATE),
        CAST(date_trunc('quarter', m) + INTERVAL 3 MONTH - INTERVAL 1 DAY AS DATE) FROM months
    UNION ALL
    SELECT DISTINCT 'H', strftime(m, '%Y') || '-H' || CASE WHEN month(m) <= 6 THEN '1' ELSE '2' END,
        make_date(year(m), CASE WHEN month(m) <= 6 THEN 1 ELSE 7 END, 1),
        CASE WHEN month(m) <= 6 THEN make_date(year(m), 6, 30) ELSE make_date(year(m), 12, 31) END FROM months
    UNION ALL
    SELECT DISTINCT 'Y', strftime(m, '%Y'), make_date(year(m), 1, 1), make_date(year(m), 12, 31) FROM months
)
SELECT t.*, b_pidx(t.period_type, t.period_start) AS pidx,
    c.as_of_date BETWEEN t.period_start AND t.period_end AS is_running,
    CASE WHEN c.as_of_date BETWEEN t.period_start AND t.period_end THEN c.as_of_date ELSE t.period_end END AS p_end,
    cal.working_day_index AS p_end_wdi
FROM typed t CROSS JOIN b_ctx c
LEFT JOIN calendar cal ON cal.date = CASE WHEN c.as_of_date BETWEEN t.period_start AND t.period_end THEN c.as_of_date ELSE t.period_end END;

-- 4. Reference: unit register, tree, agencies with their unit version, procedure catalogue, fields ---------------
-- int_admin_units: seed + raw reference/admin_units*.csv, key (unit_code, valid_from), a raw file overriding the seed
CREATE OR REPLACE TEMP TABLE b_units AS
SELECT * EXCLUDE (src, rec) FROM (
    SELECT b_code(unit_code) AS unit_code, b_date(valid_from) AS valid_from, b_date(valid_to) AS valid_to,
           b_code(unit_level) AS unit_level, b_code(parent_code) AS parent_code,
           b_date(parent_valid_from) AS parent_valid_from, src, rec
    FROM units_in
)
WHERE unit_code IS NOT NULL AND valid_from IS NOT NULL
QUALIFY row_number() OVER (PARTITION BY unit_code, valid_from ORDER BY src DESC, rec DESC) = 1;

-- int_admin_unit_tree: (ancestor, descendant) unit versions, each unit with itself at depth 0
CREATE OR REPLACE TEMP TABLE b_tree AS
WITH RECURSIVE tree AS (
    SELECT unit_code AS ancestor_code, valid_from AS ancestor_valid_from,
           unit_code AS descendant_code, valid_from AS descendant_valid_from, 0 AS depth
    FROM b_units
    UNION ALL
    SELECT t.ancestor_code, t.ancestor_valid_from, c.unit_code, c.valid_from, t.depth + 1
    FROM tree t JOIN b_units c ON c.parent_code = t.descendant_code AND c.parent_valid_from = t.descendant_valid_from
    WHERE t.depth < 5
)
SELECT * FROM tree;

-- int_agencies: seed overridden key by key (agency_code, valid_from) by the raw reference, with the unit version
-- valid on the agency's valid_from (else the latest starting on or before its valid_to, else the earliest)
CREATE OR REPLACE TEMP TABLE b_agencies AS
WITH merged AS (
    SELECT * EXCLUDE (src, rec) FROM (
        SELECT b_code(agency_code) AS agency_code, b_code(unit_code) AS unit_code, b_date(valid_from) AS valid_from,
               b_date(valid_to) AS valid_to, src, rec
        FROM agencies_in
    )
    WHERE agency_code IS NOT NULL AND valid_from IS NOT NULL
    QUALIFY row_number() OVER (PARTITION BY agency_code, valid_from ORDER BY src DESC, rec DESC) = 1
)
SELECT m.agency_code, m.valid_from, m.valid_to, m.unit_code, u.valid_from AS unit_valid_from
FROM merged m
LEFT JOIN b_units u ON u.unit_code = m.unit_code
QUALIFY row_number() OVER (
    PARTITION BY m.agency_code, m.valid_from
    ORDER BY
        CASE WHEN m.valid_from BETWEEN u.valid_from AND coalesce(u.valid_to, DATE '9999-12-31') THEN 0
             WHEN u.valid_from <= coalesce(m.valid_to, DATE '9999-12-31') THEN 1
             ELSE 2 END,
        CASE WHEN u.valid_from <= coalesce(m.valid_to, DATE '9999-12-31') THEN u.valid_from END DESC NULLS LAST,
        u.valid_from
) = 1;

-- the procedure catalogue: one row per code, the later file (then the later row) winning, as in the lake
CREATE OR REPLACE TEMP TABLE b_procedures AS
SELECT * EXCLUDE (src, rec) FROM (
    SELECT b_procedure(ma_tthc) AS procedure_code, b_code(ma_linh_vuc) AS field_code,
           b_code(ten_linh_vuc) AS field_name, b_num(thoi_han) AS legal_time_limit,
           b_code(don_vi_thoi_han) AS legal_time_unit, src, rec
    FROM procedures_in
)
QUALIFY row_number() OVER (PARTITION BY procedure_code ORDER BY src DESC, rec DESC) = 1;

-- dim_fields: the catalogue's field name, else the dossiers'
CREATE OR REPLACE TEMP TABLE b_fields AS
SELECT coalesce(c.field_code, d.field_code) AS field_code, coalesce(c.field_name, d.field_name) AS field_name
FROM (SELECT field_code, max(field_name) AS field_name FROM b_procedures WHERE field_code IS NOT NULL GROUP BY 1) c
FULL OUTER JOIN (SELECT field_code, max(b_code(field_name_raw)) AS field_name
                 FROM (SELECT DISTINCT field_code, field_name_raw FROM b_dossiers WHERE field_code IS NOT NULL) GROUP BY 1) d
  ON d.field_code = c.field_code;

-- 5. Lifecycle of the received dossiers (int_dossier_lifecycle) -----------------------------------------------------
-- The agency version is resolved once per (agency, reception date): valid at that date, else the nearest one.
CREATE OR REPLACE TEMP TABLE b_agency_at AS
WITH keys AS (
    SELECT DISTINCT agency_code, CAST(coalesce(received_at, submitted_at) AS DATE) AS ref_date
    FROM b_dossiers WHERE agency_code IS NOT NULL
)
SELECT k.agency_code, k.ref_date, a.unit_code, a.unit_valid_from
FROM keys k JOIN b_agencies a ON a.agency_code = k.agency_code
QUALIFY row_number() OVER (
    PARTITION BY k.agency_code, k.ref_date
    ORDER BY CASE WHEN k.ref_date BETWEEN a.valid_from AND coalesce(a.valid_to, DATE '9999-12-31') THEN 0 ELSE 1 END,
             abs(date_diff('day', a.valid_from, k.ref_date))
) = 1;

CREATE OR REPLACE TEMP TABLE b_lifecycle AS
WITH base AS (
    SELECT d.*,
        aa.unit_code, aa.unit_valid_from,
        CASE
            WHEN d.status BETWEEN 7 AND 10 THEN coalesce(d.processing_ended_at, d.returned_at, d.refused_at)
            -- one supplement requested and never received: the request ends processing
            WHEN d.status = 5 AND d.supplement_count = 1 AND d.first_supplement_requested_at IS NOT NULL
                 AND d.first_supplement_received_at IS NULL THEN d.first_supplement_requested_at
        END AS end_time,
        d.status = 5 AND d.supplement_count = 1 AND d.first_supplement_requested_at IS NOT NULL
            AND d.first_supplement_received_at IS NULL AS pending_supplement,
        p.legal_time_limit, p.legal_time_unit
    FROM b_dossiers d
    LEFT JOIN b_agency_at aa ON aa.agency_code = d.agency_code
         AND aa.ref_date = CAST(coalesce(d.received_at, d.submitted_at) AS DATE)
    LEFT JOIN b_procedures p ON p.procedure_code = d.procedure_code
    WHERE d.status IS NOT NULL AND d.status NOT IN (1, 3) AND d.received_at IS NOT NULL
),
adjusted AS (
    SELECT b.*,
        -- exactly one completed supplement: the applicant's calendar time is deducted
        CASE WHEN b.end_time IS NOT NULL AND NOT b.pending_supplement AND b.supplement_count = 1
                  AND b.first_supplement_requested_at IS NOT NULL AND b.first_supplement_received_at IS NOT NULL
             THEN b.end_time - (b.first_supplement_received_at - b.first_supplement_requested_at)
             ELSE b.end_time END AS adjusted_end,
        CASE
            WHEN b.legal_time_limit IS NULL OR b.legal_time_unit IS NULL THEN NULL
            WHEN b.legal_time_unit = 'ngay_lam_viec' AND b.legal_time_limit = floor(b.legal_time_limit) THEN 'working_days'
            WHEN b.legal_time_unit = 'ngay' AND b.legal_time_limit = floor(b.legal_time_limit) THEN 'calendar_days'
            WHEN b.legal_time_unit = 'gio' THEN 'working_hours'
            WHEN b.legal_time_unit IN ('ngay_lam_viec', 'ngay') THEN 'working_hours'
        END AS limit_kind,
        CASE
            WHEN b.legal_time_limit IS NULL OR b.legal_time_unit IS NULL THEN NULL
            WHEN b.legal_time_unit IN ('ngay_lam_viec', 'ngay') AND b.legal_time_limit = floor(b.legal_time_limit) THEN b.legal_time_limit
            WHEN b.legal_time_unit = 'gio' THEN b.legal_time_limit
            WHEN b.legal_time_unit IN ('ngay_lam_viec', 'ngay') THEN b.legal_time_limit * 8
        END AS limit_amount
    FROM base b
),
timed AS (
    SELECT a.*,
        CAST(a.received_at AS DATE) AS received_date,
        CAST(a.end_time AS DATE) AS end_date,
        CAST(a.adjusted_end AS DATE) AS adjusted_end_date,
        CAST(a.due_at AS DATE) AS due_date,
        cr.working_day_index AS received_wdi,
        (cr.working_day_index - CASE WHEN cr.is_working_day THEN 1 ELSE 0 END) * 27000
            + CASE WHEN cr.is_working_day THEN b_office(a.received_at) ELSE 0 END AS received_cum,
        ce.working_day_index AS adjusted_end_wdi,
        (ce.working_day_index - CASE WHEN ce.is_working_day THEN 1 ELSE 0 END) * 27000
            + CASE WHEN ce.is_working_day THEN b_office(a.adjusted_end) ELSE 0 END AS adjusted_end_cum
    FROM adjusted a
    LEFT JOIN calendar cr ON cr.date = CAST(a.received_at AS DATE)
    LEFT JOIN calendar ce ON ce.date = CAST(a.adjusted_end AS DATE)
)
SELECT
    unit_code, unit_valid_from, field_code, channel, received_date, end_date, due_date, supplement_count,
    limit_kind, limit_amount, received_wdi, received_cum,
    CASE
        WHEN end_time IS NULL THEN NULL
        WHEN status IN (7, 8) THEN 'on_time'                       -- withdrawn / stopped: on time
        WHEN supplement_count > 1 THEN 'late'                      -- more than one supplement request: late
        WHEN due_at IS NULL AND limit_kind IS NOT NULL THEN        -- no due date: the legal time limit decides
            CASE WHEN (CASE limit_kind
                    WHEN 'working_days' THEN adjusted_end_wdi - received_wdi <= limit_amount
                    WHEN 'calendar_days' THEN date_diff('day', received_date, adjusted_end_date) <= limit_amount
                    WHEN 'working_hours' THEN (adjusted_end_cum - received_cum) / 27000.0 * 8 <= limit_amount
                 END) THEN 'on_time' ELSE 'late' END
        WHEN due_at IS NULL THEN 'on_time'                         -- no due date, no known limit
        WHEN adjusted_end_date < due_date THEN 'early'
        WHEN adjusted_end_date = due_date THEN 'on_time'
        ELSE 'late'
    END AS outcome_class
FROM timed
WHERE unit_valid_from IS NOT NULL;  -- only dossiers of a known unit version reach a unit's rows

-- 6. Dossier × period in scope (int_dossier_period_status): received by P_end, not ended before the start.
-- Periods of a type are consecutive indexes, so the scope of a dossier is the index range
-- [period of reception, min(period of its end, period of the as-of date)] — no range join needed.
CREATE OR REPLACE TEMP TABLE b_counts AS
WITH ctx AS (SELECT * FROM b_ctx),
spans AS (
    SELECT l.*, t.period_type,
        unnest(generate_series(b_pidx(t.period_type, l.received_date),
                               least(coalesce(b_pidx(t.period_type, l.end_date), 2147483647),
                                     b_pidx(t.period_type, c.as_of_date)))) AS pidx
    FROM b_lifecycle l
    CROSS JOIN (VALUES ('M'), ('Q'), ('H'), ('Y')) t(period_type)
    CROSS JOIN ctx c
),
flags AS (
    SELECT s.unit_code, s.unit_valid_from, s.field_code, s.period_type, p.period,
        s.received_date >= p.period_start AS received_in_period,
        coalesce(s.channel, 1) = 2 AS online,
        s.end_date IS NOT NULL AND s.end_date <= p.p_end AS resolved,
        s.outcome_class,
        CASE
            WHEN s.supplement_count > 1 THEN false
            WHEN s.due_date IS NOT NULL THEN s.due_date >= p.p_end
            WHEN s.limit_kind IS NOT NULL THEN CASE s.limit_kind
                WHEN 'working_days' THEN p.p_end_wdi - s.received_wdi <= s.limit_amount
                WHEN 'calendar_days' THEN date_diff('day', s.received_date, p.p_end) <= s.limit_amount
                WHEN 'working_hours' THEN (p.p_end_wdi * 27000 - s.received_cum) / 27000.0 * 8 <= s.limit_amount
            END
            ELSE true
        END AS within_time
    FROM spans s
    JOIN b_periods p ON p.period_type = s.period_type AND p.pidx = s.pidx
    WHERE s.received_date <= p.p_end
)
SELECT unit_code, unit_valid_from, field_code, period_type, period,
    count(*) FILTER (WHERE received_in_period AND online) AS received_online,
    count(*) FILTER (WHERE received_in_period AND NOT online) AS received_direct_postal,
    count(*) FILTER (WHERE NOT received_in_period) AS carried_over,
    count(*) FILTER (WHERE resolved AND outcome_class = 'early') AS resolved_early,
    count(*) FILTER (WHERE resolved AND outcome_class = 'on_time') AS resolved_on_time,
    count(*) FILTER (WHERE resolved AND outcome_class = 'late') AS resolved_late,
    count(*) FILTER (WHERE NOT resolved AND within_time) AS pending_within_time,
    count(*) FILTER (WHERE NOT resolved AND NOT within_time) AS pending_overdue
FROM flags
GROUP BY ALL;

-- 7. Biểu 06 (ind_bieu06, unit rows): up the unit tree; whole-unit rows for every unit version valid in the period,
-- field rows where the field has data.
CREATE OR REPLACE TEMP TABLE b_rollup AS
SELECT t.ancestor_code AS unit_code, t.ancestor_valid_from AS unit_valid_from, c.period_type, c.period,
    grouping(c.field_code) = 1 AS is_all_fields, c.field_code,
    sum(received_online) AS received_online, sum(received_direct_postal) AS received_direct_postal,
    sum(carried_over) AS carried_over, sum(resolved_early) AS resolved_early, sum(resolved_on_time) AS resolved_on_time,
    sum(resolved_late) AS resolved_late, sum(pending_within_time) AS pending_within_time,
    sum(pending_overdue) AS pending_overdue
FROM b_counts c
JOIN b_tree t ON t.descendant_code = c.unit_code AND t.descendant_valid_from = c.unit_valid_from
GROUP BY GROUPING SETS (
    (t.ancestor_code, t.ancestor_valid_from, c.period_type, c.period, c.field_code),
    (t.ancestor_code, t.ancestor_valid_from, c.period_type, c.period)
);

CREATE OR REPLACE TEMP TABLE out_bieu06 AS
WITH frame AS (
    SELECT u.unit_code, u.valid_from AS unit_valid_from, p.period_type, p.period
    FROM b_units u JOIN b_periods p
      ON u.valid_from <= p.p_end AND coalesce(u.valid_to, DATE '9999-12-31') >= p.period_start
),
unit_rows AS (
    SELECT f.period_type, f.period, f.unit_code, f.unit_valid_from, CAST(NULL AS VARCHAR) AS field_code,
        coalesce(r.received_online, 0) AS received_online, coalesce(r.received_direct_postal, 0) AS received_direct_postal,
        coalesce(r.carried_over, 0) AS carried_over, coalesce(r.resolved_early, 0) AS resolved_early,
        coalesce(r.resolved_on_time, 0) AS resolved_on_time, coalesce(r.resolved_late, 0) AS resolved_late,
        coalesce(r.pending_within_time, 0) AS pending_within_time, coalesce(r.pending_overdue, 0) AS pending_overdue
    FROM frame f
    LEFT JOIN b_rollup r ON r.is_all_fields AND r.unit_code = f.unit_code AND r.unit_valid_from = f.unit_valid_from
         AND r.period_type = f.period_type AND r.period = f.period
    UNION ALL
    SELECT r.period_type, r.period, r.unit_code, r.unit_valid_from, r.field_code,
        r.received_online, r.received_direct_postal, r.carried_over, r.resolved_early, r.resolved_on_time,
        r.resolved_late, r.pending_within_time, r.pending_overdue
    FROM b_rollup r
    JOIN frame f ON f.unit_code = r.unit_code AND f.unit_valid_from = r.unit_valid_from
         AND f.period_type = r.period_type AND f.period = r.period
    WHERE NOT r.is_all_fields AND r.field_code IS NOT NULL
)
SELECT r.period_type, r.period, r.unit_code, strftime(r.unit_valid_from, '%Y-%m-%d') AS unit_valid_from,
    r.field_code AS ma_linh_vuc, fld.field_name AS ten_linh_vuc,
    CAST(r.received_online + r.received_direct_postal + r.carried_over AS BIGINT) AS received_total,
    CAST(r.received_online AS BIGINT) AS received_online,
    CAST(r.received_direct_postal AS BIGINT) AS received_direct_postal,
    CAST(r.carried_over AS BIGINT) AS carried_over,
    CAST(r.resolved_early + r.resolved_on_time + r.resolved_late AS BIGINT) AS resolved_total,
    CAST(r.resolved_early AS BIGINT) AS resolved_early,
    CAST(r.resolved_on_time AS BIGINT) AS resolved_on_time,
    CAST(r.resolved_late AS BIGINT) AS resolved_late,
    CAST(r.pending_within_time + r.pending_overdue AS BIGINT) AS pending_total,
    CAST(r.pending_within_time AS BIGINT) AS pending_within_time,
    CAST(r.pending_overdue AS BIGINT) AS pending_overdue
FROM unit_rows r
LEFT JOIN b_fields fld ON fld.field_code = r.field_code;

-- 8. QD766_2_1 (ind_values_qd766_2_1, whole-unit rows): (early + on time + pending within time) / (resolved + pending)
CREATE OR REPLACE TEMP TABLE out_qd766_2_1 AS
SELECT period_type, period, unit_code, unit_valid_from,
    CAST(resolved_early + resolved_on_time + pending_within_time AS DOUBLE) AS numerator,
    CAST(resolved_total + pending_total AS DOUBLE) AS denominator
FROM out_bieu06
WHERE ma_linh_vuc IS NULL;
