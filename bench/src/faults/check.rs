//! The checker of the fault suite: pure functions over a recorded history of operations
//! (invocation and completion time, outcome) and what the managers hold after recovery.
//!
//! Creates: every acknowledged create must be in every manager's copy, and no create that
//! failed definitively may be in any (a phantom). An unknown create may be anywhere, but the
//! managers must agree on it once they converged.
//!
//! The register is one service label whose value only grows by compare-and-set: a client
//! reads value `v` and version, then writes `v + 1` with that version (a 409 fails it). If
//! CAS holds, the committed values are therefore the chain 0, 1, 2, ..., F, each written by
//! exactly one attempt. Order every operation by a key: the write of `x` is `2x`, a read
//! returning `x` is `2x + 1` (after the write it observes, before the next write). A
//! linearization exists when these keys can be laid out consistently with real time:
//! - if `A` completed before `B` was invoked, then `key(A) <= key(B)`, equal only for two
//!   reads of the same value (else `B` is stale: it observed or produced an older state than
//!   one already acknowledged); final reads after recovery below an acknowledged write mean
//!   that write was lost;
//! - acknowledged writes carry distinct values (two acked CAS from the same base means one
//!   of them was overwritten without a conflict: lost);
//! - every value read, and every value up to the final one, was attempted by a write that did
//!   not fail definitively, invoked before the read of it completed (else a phantom: a value
//!   nobody wrote, one a refused write wrote anyway, or a read from the future).
//!
//! Writes whose outcome is unknown take part only through the values they make possible: a
//! full search (Knossos, Porcupine) would also place them in time, but here their value is
//! pinned by CAS and any read or later write that depends on them is itself checked.

use std::collections::{BTreeMap, BTreeSet};

/// How an operation ended, as the client saw it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Acknowledged: a 2xx answer.
    Ok,
    /// Definitively not applied: a 4xx, a 503 that does not say the write may still commit,
    /// or a connection that was never made.
    Failed,
    /// May or may not have been applied: a timeout, a broken connection, a 503 that says the
    /// write may still commit, a 500.
    Unknown,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OpKind {
    /// Create a service with a unique name.
    Create { name: String },
    /// Compare-and-set of the register from `to - 1` to `to`.
    Cas { to: u64 },
    /// A linearizable read of the register; `value` is set when it succeeded. `last` marks
    /// the reads made after recovery, once every other operation had completed.
    Read { value: Option<u64>, last: bool },
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Op {
    pub kind: OpKind,
    /// Microseconds since the start of the run.
    pub invoke: u64,
    pub complete: u64,
    pub outcome: Outcome,
}

/// Violations found in one episode's history; all zero when it is correct.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Verdict {
    /// Acknowledged writes missing afterwards (creates absent from a manager's copy, register
    /// writes below the final value or overwritten by a second acknowledged CAS).
    pub lost: usize,
    /// Operations that observed or produced a state older than one acknowledged before they
    /// began.
    pub stale: usize,
    /// Effects nobody made: definitively failed creates present, register values never
    /// attempted by a write that could have committed, reads from the future.
    pub phantom: usize,
    /// Unknown creates the managers still disagree on after converging.
    pub diverged: usize,
}

impl Verdict {
    pub fn violations(&self) -> usize {
        self.lost + self.stale + self.phantom + self.diverged
    }

    fn add(&mut self, other: &Verdict) {
        self.lost += other.lost;
        self.stale += other.stale;
        self.phantom += other.phantom;
        self.diverged += other.diverged;
    }
}

/// Checks the whole history: the creates against `copies` (each manager's set of service
/// names after convergence, restricted to this history's creates), the register against
/// its reads, starting from `initial` (its value, read before any operation was invoked).
pub fn check(ops: &[Op], copies: &[BTreeSet<String>], initial: u64) -> Verdict {
    let mut v = check_creates(ops, copies);
    v.add(&check_register(ops, initial));
    v
}

pub fn check_creates(ops: &[Op], copies: &[BTreeSet<String>]) -> Verdict {
    let mut v = Verdict::default();
    for op in ops {
        let OpKind::Create { name } = &op.kind else {
            continue;
        };
        let holders = copies.iter().filter(|c| c.contains(name)).count();
        match op.outcome {
            Outcome::Ok if holders < copies.len() => v.lost += 1,
            Outcome::Failed if holders > 0 => v.phantom += 1,
            Outcome::Unknown if holders > 0 && holders < copies.len() => v.diverged += 1,
            _ => {}
        }
    }
    v
}

/// The position of an acknowledged operation in the register's only possible order.
fn key(op: &Op) -> Option<u64> {
    match (&op.kind, op.outcome) {
        (OpKind::Cas { to }, Outcome::Ok) => Some(2 * to),
        (OpKind::Read { value: Some(x), .. }, Outcome::Ok) => Some(2 * x + 1),
        _ => None,
    }
}

/// Checks the register's history; `initial` was its value before any of `ops` was invoked
/// (as if acknowledged by a write at time 0: values up to it were written earlier).
pub fn check_register(ops: &[Op], initial: u64) -> Verdict {
    let mut v = Verdict::default();
    let before = Op {
        kind: OpKind::Cas { to: initial },
        invoke: 0,
        complete: 0,
        outcome: Outcome::Ok,
    };
    let mut known: Vec<(&Op, u64)> = ops.iter().filter_map(|o| key(o).map(|k| (o, k))).collect();
    known.push((&before, 2 * initial));

    // Real-time order: nothing may observe less than what was acknowledged before it began.
    for (b, kb) in &known {
        let behind = known
            .iter()
            .any(|(a, ka)| a.complete < b.invoke && (ka > kb || (ka == kb && ka % 2 == 0)));
        if behind {
            match b.kind {
                OpKind::Read { last: true, .. } => v.lost += 1,
                _ => v.stale += 1,
            }
        }
    }

    // Two acknowledged CAS to the same value: one was overwritten without a conflict.
    let mut acked: BTreeMap<u64, usize> = BTreeMap::new();
    for op in ops {
        if let (OpKind::Cas { to }, Outcome::Ok) = (&op.kind, op.outcome) {
            *acked.entry(*to).or_default() += 1;
        }
    }
    v.lost += acked.values().map(|n| n - 1).sum::<usize>();

    // Every value that exists was attempted by a write that may have committed, in time.
    let attempts = |x: u64| {
        ops.iter().filter(move |o| {
            matches!(o.kind, OpKind::Cas { to } if to == x) && o.outcome != Outcome::Failed
        })
    };
    let mut highest = 0;
    for op in ops {
        if let (OpKind::Read { value: Some(x), .. }, Outcome::Ok) = (&op.kind, op.outcome) {
            highest = highest.max(*x);
            if *x > initial && !attempts(*x).any(|w| w.invoke < op.complete) {
                v.phantom += 1;
            }
        }
    }
    let read: BTreeSet<u64> = ops
        .iter()
        .filter_map(|o| match (&o.kind, o.outcome) {
            (OpKind::Read { value: Some(x), .. }, Outcome::Ok) => Some(*x),
            _ => None,
        })
        .collect();
    // Values below the highest read that nobody read are checked for an attempt too (a gap
    // in the chain means a write of a value nobody tried).
    v.phantom += (initial + 1..highest)
        .filter(|x| !read.contains(x) && attempts(*x).next().is_none())
        .count();
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(kind: OpKind, invoke: u64, complete: u64, outcome: Outcome) -> Op {
        Op {
            kind,
            invoke,
            complete,
            outcome,
        }
    }

    fn read(value: u64, invoke: u64, complete: u64) -> Op {
        op(
            OpKind::Read {
                value: Some(value),
                last: false,
            },
            invoke,
            complete,
            Outcome::Ok,
        )
    }

    fn last_read(value: u64, at: u64) -> Op {
        op(
            OpKind::Read {
                value: Some(value),
                last: true,
            },
            at,
            at + 1,
            Outcome::Ok,
        )
    }

    fn cas(to: u64, invoke: u64, complete: u64, outcome: Outcome) -> Op {
        op(OpKind::Cas { to }, invoke, complete, outcome)
    }

    fn create(name: &str, outcome: Outcome) -> Op {
        op(
            OpKind::Create {
                name: name.to_string(),
            },
            0,
            1,
            outcome,
        )
    }

    fn set(names: &[&str]) -> BTreeSet<String> {
        names.iter().map(|n| n.to_string()).collect()
    }

    /// Two clients racing CAS from the same read, one winning, reads overlapping writes.
    fn good_history() -> Vec<Op> {
        vec![
            read(0, 0, 10),
            read(0, 1, 11),
            cas(1, 12, 30, Outcome::Ok),
            cas(1, 13, 31, Outcome::Failed),
            // Overlaps the write of 1: may see either.
            read(0, 14, 20),
            read(1, 32, 40),
            cas(2, 41, 60, Outcome::Unknown),
            // The unknown write committed: a later read sees it.
            read(2, 61, 70),
            read(2, 71, 80),
            cas(3, 81, 90, Outcome::Unknown),
            last_read(2, 100),
        ]
    }

    #[test]
    fn a_correct_history_passes() {
        assert_eq!(check_register(&good_history(), 0), Verdict::default());
    }

    #[test]
    fn a_read_older_than_an_acknowledged_write_is_stale() {
        let mut h = good_history();
        // Begins after the write of 1 was acknowledged (at 30) but returns 0.
        h.push(read(0, 35, 45));
        let v = check_register(&h, 0);
        assert_eq!(v.stale, 1, "{v:?}");
        assert_eq!(v.violations(), 1);
    }

    #[test]
    fn reads_never_go_backwards() {
        let mut h = good_history();
        // After a read of 2 completed (at 70), a read returns 1.
        h.push(read(1, 72, 79));
        assert_eq!(check_register(&h, 0).stale, 1);
    }

    #[test]
    fn an_acknowledged_write_below_the_final_value_is_lost() {
        let mut h = good_history();
        h.push(cas(3, 85, 95, Outcome::Ok));
        // The final read (at 100) still says 2.
        let v = check_register(&h, 0);
        assert_eq!(v.lost, 1, "{v:?}");
        assert_eq!(v.stale, 0);
    }

    #[test]
    fn two_acknowledged_cas_from_the_same_base_lose_one() {
        let mut h = good_history();
        h[3].outcome = Outcome::Ok;
        assert_eq!(check_register(&h, 0).lost, 1);
    }

    #[test]
    fn a_value_only_a_refused_write_tried_is_a_phantom() {
        let h = vec![
            read(0, 0, 10),
            cas(1, 11, 20, Outcome::Failed),
            read(1, 21, 30),
            last_read(1, 40),
        ];
        let v = check_register(&h, 0);
        assert_eq!(v.phantom, 2, "{v:?}");
    }

    #[test]
    fn a_read_from_the_future_is_a_phantom() {
        let h = vec![read(1, 0, 10), cas(1, 11, 20, Outcome::Ok)];
        assert_eq!(check_register(&h, 0).phantom, 1);
    }

    #[test]
    fn a_gap_in_the_chain_is_a_phantom() {
        let h = vec![
            cas(1, 0, 5, Outcome::Ok),
            last_read(3, 10),
            cas(3, 6, 8, Outcome::Unknown),
        ];
        // Nobody tried 2.
        let v = check_register(&h, 0);
        assert_eq!(v.phantom, 1, "{v:?}");
    }

    #[test]
    fn values_up_to_the_initial_one_were_written_before() {
        let h = vec![
            read(5, 1, 10),
            cas(6, 11, 20, Outcome::Ok),
            last_read(6, 30),
        ];
        assert_eq!(check_register(&h, 5), Verdict::default());
        // Below the value the episode started from: stale.
        let h = vec![read(4, 1, 10), last_read(5, 30)];
        assert_eq!(check_register(&h, 5).stale, 1);
        // Without that knowledge, 5 is a value nobody wrote.
        assert!(check_register(&[read(5, 1, 10)], 0).phantom > 0);
    }

    #[test]
    fn creates_are_checked_on_every_copy() {
        let ops = vec![
            create("a", Outcome::Ok),
            create("b", Outcome::Failed),
            create("c", Outcome::Unknown),
            create("d", Outcome::Unknown),
        ];
        let fine = [set(&["a", "c"]), set(&["a", "c"]), set(&["a", "c"])];
        assert_eq!(check_creates(&ops, &fine), Verdict::default());

        let lost = [set(&["a", "c"]), set(&["c"]), set(&["a", "c"])];
        assert_eq!(check_creates(&ops, &lost).lost, 1);

        let phantom = [set(&["a", "b"]), set(&["a", "b"]), set(&["a", "b"])];
        assert_eq!(check_creates(&ops, &phantom).phantom, 1);

        let diverged = [set(&["a", "d"]), set(&["a"]), set(&["a", "d"])];
        assert_eq!(check_creates(&ops, &diverged).diverged, 1);
    }

    #[test]
    fn check_adds_both_parts() {
        let mut ops = good_history();
        ops.push(create("a", Outcome::Ok));
        ops.push(read(0, 35, 45));
        let v = check(&ops, &[set(&[]), set(&["a"])], 0);
        assert_eq!((v.lost, v.stale, v.violations()), (1, 1, 2));
    }
}
