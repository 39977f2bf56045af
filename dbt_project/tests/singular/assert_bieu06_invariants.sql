-- Biểu 06 invariants (METHODOLOGY §4): col 3 = col 7 + col 11 (received = resolved + pending), and the totals
-- equal their parts (3 = 4 + 5 + 6, 7 = 8 + 9 + 10, 11 = 12 + 13). Returns violating rows.
select *
from {{ ref('ind_bieu06') }}
where received_total <> resolved_total + pending_total
   or received_total <> received_online + received_direct_postal + carried_over
   or resolved_total <> resolved_early + resolved_on_time + resolved_late
   or pending_total <> pending_within_time + pending_overdue
   or least(received_online, received_direct_postal, carried_over, resolved_early, resolved_on_time,
            resolved_late, pending_within_time, pending_overdue) < 0
