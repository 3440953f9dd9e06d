//! Every (status, command kind) cell of the status table, applied for real to an order in
//! that status. Both matches below are exhaustive: a new status or command kind does not compile
//! until its row is written here.

use orderflow_domain::order::{CommandKind as K, OrderError, Rule, Status as S, rule};

use crate::helpers::{command_of, order_in, try_run};

/// What applying the cell's command must give.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// Applied; the order moves to this status.
    To(S),
    /// Applied; the status stays.
    Same,
    /// Accepted but nothing to change (a reprocess with no problems).
    Unchanged,
    /// Refused with this error code.
    Refused(&'static str),
}

use Expect::{Refused, Same, To, Unchanged};

const INVALID: Expect = Refused("invalid-transition");
const HELD: Expect = Refused("order-on-hold");

fn expected(status: S, kind: K) -> Expect {
    match status {
        S::PaymentPending => match kind {
            K::ApprovePayment | K::ApprovePaymentManually => To(S::PaymentApproved),
            K::DenyPayment | K::ExpirePayment | K::Cancel => To(S::Canceled),
            K::Hold => To(S::OnHold),
            K::RefundPayment | K::Change | K::Comment | K::Edit | K::RecordNotification => Same,
            K::Refund => Refused("refund-exceeds-paid"),
            K::Reprocess => Unchanged,
            K::StartHandling
            | K::Invoice
            | K::ReturnInvoice
            | K::AddShipment
            | K::AddTrackingEvent
            | K::Unhold => INVALID,
        },
        S::PaymentApproved => match kind {
            K::StartHandling => To(S::Handling),
            K::Invoice => To(S::Invoiced),
            K::Cancel => To(S::Canceled),
            K::Hold => To(S::OnHold),
            K::ApprovePayment
            | K::DenyPayment
            | K::RefundPayment
            | K::ApprovePaymentManually
            | K::Change
            | K::Comment
            | K::RecordNotification
            | K::Refund
            | K::Edit => Same,
            K::Reprocess => Unchanged,
            K::ExpirePayment
            | K::ReturnInvoice
            | K::AddShipment
            | K::AddTrackingEvent
            | K::Unhold => INVALID,
        },
        S::Handling => match kind {
            K::Invoice => To(S::Invoiced),
            K::Cancel => To(S::Canceled),
            K::Hold => To(S::OnHold),
            K::ApprovePayment
            | K::DenyPayment
            | K::RefundPayment
            | K::ApprovePaymentManually
            | K::Change
            | K::Comment
            | K::RecordNotification
            | K::Refund
            | K::Edit => Same,
            K::Reprocess => Unchanged,
            K::ExpirePayment
            | K::StartHandling
            | K::ReturnInvoice
            | K::AddShipment
            | K::AddTrackingEvent
            | K::Unhold => INVALID,
        },
        S::Invoiced => match kind {
            K::ReturnInvoice => To(S::Closed),
            K::AddShipment => To(S::Shipped),
            K::Hold => To(S::OnHold),
            K::ApprovePayment
            | K::DenyPayment
            | K::RefundPayment
            | K::ApprovePaymentManually
            | K::Comment
            | K::RecordNotification
            | K::Refund
            | K::Edit => Same,
            K::Reprocess => Unchanged,
            K::ExpirePayment
            | K::StartHandling
            | K::Invoice
            | K::AddTrackingEvent
            | K::Change
            | K::Cancel
            | K::Unhold => INVALID,
        },
        S::Shipped | S::InTransit | S::DeliveryDifficulty => match kind {
            K::ReturnInvoice => To(S::Closed),
            K::AddTrackingEvent => To(S::Delivered),
            K::ApprovePayment
            | K::DenyPayment
            | K::RefundPayment
            | K::ApprovePaymentManually
            | K::AddShipment
            | K::Comment
            | K::RecordNotification
            | K::Refund => Same,
            K::Reprocess => Unchanged,
            K::ExpirePayment
            | K::StartHandling
            | K::Invoice
            | K::Change
            | K::Cancel
            | K::Hold
            | K::Unhold
            | K::Edit => INVALID,
        },
        S::Delivered => match kind {
            K::ReturnInvoice => To(S::Closed),
            K::ApprovePayment
            | K::DenyPayment
            | K::RefundPayment
            | K::ApprovePaymentManually
            | K::AddTrackingEvent
            | K::Comment
            | K::RecordNotification
            | K::Refund => Same,
            K::Reprocess => Unchanged,
            K::ExpirePayment
            | K::StartHandling
            | K::Invoice
            | K::AddShipment
            | K::Change
            | K::Cancel
            | K::Hold
            | K::Unhold
            | K::Edit => INVALID,
        },
        S::Closed | S::Canceled => match kind {
            K::ApprovePayment
            | K::DenyPayment
            | K::RefundPayment
            | K::Comment
            | K::RecordNotification => Same,
            K::Refund => Refused("refund-exceeds-paid"),
            K::Reprocess => Unchanged,
            K::ApprovePaymentManually
            | K::ExpirePayment
            | K::StartHandling
            | K::Invoice
            | K::ReturnInvoice
            | K::AddShipment
            | K::AddTrackingEvent
            | K::Change
            | K::Cancel
            | K::Hold
            | K::Unhold
            | K::Edit => INVALID,
        },
        S::OnHold => match kind {
            K::Unhold => To(S::PaymentPending),
            K::Comment | K::RecordNotification => Same,
            K::ApprovePayment
            | K::DenyPayment
            | K::RefundPayment
            | K::ApprovePaymentManually
            | K::ExpirePayment
            | K::StartHandling
            | K::Invoice
            | K::ReturnInvoice
            | K::AddShipment
            | K::AddTrackingEvent
            | K::Change
            | K::Cancel
            | K::Hold
            | K::Refund
            | K::Reprocess
            | K::Edit => HELD,
        },
    }
}

#[test]
fn every_status_and_command_pair_gives_the_decided_outcome() {
    let mut failures = Vec::new();
    for &status in S::ALL {
        let order = order_in(status);
        assert_eq!(order.status(), status, "fixture for {status}");
        for &kind in K::ALL {
            let want = expected(status, kind);
            let got = match try_run(&order, command_of(kind), 120) {
                Ok(applied) if !applied.changed => Unchanged,
                Ok(applied) if applied.order.status() == status => Same,
                Ok(applied) => To(applied.order.status()),
                Err(error) => Refused(error.code()),
            };
            if got != want {
                failures.push(format!(
                    "{status} × {}: want {want:?}, got {got:?}",
                    kind.as_str()
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} cells differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn an_invalid_transition_names_where_from_and_where_to() {
    let order = order_in(S::Shipped);
    let error = try_run(&order, command_of(K::Cancel), 120).unwrap_err();
    assert_eq!(
        error,
        OrderError::InvalidTransition {
            from: S::Shipped,
            to: Some(S::Canceled),
            command: K::Cancel
        }
    );
}

#[test]
fn the_rule_table_agrees_with_the_outcomes() {
    for &status in S::ALL {
        for &kind in K::ALL {
            let refused_by_table = match expected(status, kind) {
                Refused("invalid-transition") => Rule::Invalid,
                Refused("order-on-hold") => Rule::OnHold,
                To(_) | Same | Unchanged | Refused(_) => Rule::Allowed,
            };
            assert_eq!(
                rule(status, kind),
                refused_by_table,
                "{status} × {}",
                kind.as_str()
            );
        }
    }
}

#[test]
fn every_status_has_a_distinct_wire_name_that_parses_back() {
    for &status in S::ALL {
        assert_eq!(S::parse(status.as_str()), Some(status));
    }
    let mut names: Vec<_> = S::ALL.iter().map(|s| s.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), S::ALL.len());
}
