//! [`Subscription::apply`]: the one transition function, (state, command, now) to the new
//! state and its events, or why the command was refused.

use super::cycle::{Cycle, CycleOutcome, CycleRange, CycleStatus, ScheduledCycle};
use super::due::due;
use super::payment::{PaymentCheck, PaymentStep};
use super::schedule::{Occurrence, Recurrence};
use super::{Command, Event, Subscription, SubscriptionError, SubscriptionStatus, Transition};
use crate::values::{OrderId, Text, Timestamp};

impl Subscription {
    fn refuse(&self, command: &Command) -> SubscriptionError {
        SubscriptionError::InvalidTransition {
            from: self.status,
            to: command.target(),
            command: command.name(),
        }
    }

    /// Applies `command` at `now`: the new state and its events, or why it was refused. Pure.
    pub fn apply(&self, command: Command, now: Timestamp) -> Result<Transition, SubscriptionError> {
        let mut next = self.clone();
        let mut events = Vec::new();
        match &command {
            Command::Pause { reason } => match self.status {
                SubscriptionStatus::Active => {
                    next.status = SubscriptionStatus::Paused;
                    next.pause_reason = reason.clone();
                    events.push(Event::Paused {
                        reason: reason.clone(),
                    });
                }
                SubscriptionStatus::Paused
                | SubscriptionStatus::Canceled
                | SubscriptionStatus::Finished => return Err(self.refuse(&command)),
            },
            Command::Resume => match self.status {
                SubscriptionStatus::Paused => {
                    next.status = SubscriptionStatus::Active;
                    next.pause_reason = None;
                    let (skipped, resumed) = match self.cursor() {
                        Some(cursor) => (
                            CycleRange::new(self.next_cycle, self.last_before(cursor, now)),
                            self.recurrence
                                .first_at_or_after(cursor, now)
                                .filter(|o| self.exists(o)),
                        ),
                        None => (None, None),
                    };
                    if let Some(range) = skipped {
                        next.skip.retain(|&n| !range.contains(n));
                    }
                    events.push(Event::Resumed { skipped });
                    if resumed != self.cursor() {
                        let through =
                            skipped.map_or(self.next_cycle.saturating_sub(1), |r| r.last());
                        next.settle_to(resumed, through, &mut events);
                    }
                }
                SubscriptionStatus::Active
                | SubscriptionStatus::Canceled
                | SubscriptionStatus::Finished => return Err(self.refuse(&command)),
            },
            Command::Cancel { reason } => match self.status {
                SubscriptionStatus::Active | SubscriptionStatus::Paused => {
                    next.status = SubscriptionStatus::Canceled;
                    next.cancel_reason = reason.clone();
                    next.skip.clear();
                    next.payment_check = None;
                    events.push(Event::Canceled {
                        reason: reason.clone(),
                    });
                }
                SubscriptionStatus::Canceled | SubscriptionStatus::Finished => {
                    return Err(self.refuse(&command));
                }
            },
            Command::SkipNext => match self.status {
                SubscriptionStatus::Active | SubscriptionStatus::Paused => {
                    if self.skip.len() >= Self::MAX_SKIPS {
                        return Err(SubscriptionError::TooManySkips {
                            max: Self::MAX_SKIPS,
                        });
                    }
                    let cursor = self.cursor().ok_or(SubscriptionError::NoCycleToSkip)?;
                    let target = self
                        .recurrence
                        .occurrences_from(cursor)
                        .take(Self::MAX_SKIPS + 1)
                        .take_while(|o| self.exists(o))
                        .find(|o| !self.skip.contains(&self.number(o)))
                        .ok_or(SubscriptionError::NoCycleToSkip)?;
                    let number = self.number(&target);
                    next.skip.insert(number);
                    events.push(Event::CycleSkipMarked(ScheduledCycle {
                        number,
                        scheduled_for: target.at,
                    }));
                }
                SubscriptionStatus::Canceled | SubscriptionStatus::Finished => {
                    return Err(self.refuse(&command));
                }
            },
            Command::EditSchedule(edit) => match self.status {
                SubscriptionStatus::Active | SubscriptionStatus::Paused => {
                    if edit.anchor < now {
                        return Err(SubscriptionError::AnchorInThePast {
                            anchor: edit.anchor,
                            now,
                        });
                    }
                    // A mark on a cycle the old schedule placed before the new anchor goes: the
                    // new schedule starts after that date, so what the customer skipped is not
                    // charged anyway, and the number now names a cycle at or after the anchor.
                    next.skip
                        .retain(|&n| self.scheduled_for(n).is_none_or(|at| at >= edit.anchor));
                    next.recurrence = Recurrence::new(
                        edit.schedule.clone(),
                        edit.purchase_day,
                        edit.timezone,
                        edit.anchor,
                    )?;
                    next.cycle_offset = self.next_cycle - 1;
                    next.end_at = edit.end_at;
                    next.max_cycles = edit.max_cycles;
                    let first = next
                        .recurrence
                        .first()
                        .filter(|o| next.exists(o))
                        .ok_or(SubscriptionError::NoCycles)?;
                    next.next_cycle_at = Some(first.at);
                    next.attempts = 0;
                    next.last_error = None;
                    events.push(Event::ScheduleEdited {
                        next_cycle: next.next_cycle,
                        next_run_at: first.at,
                    });
                }
                SubscriptionStatus::Canceled | SubscriptionStatus::Finished => {
                    return Err(self.refuse(&command));
                }
            },
            Command::EditOrder(edit) => match self.status {
                SubscriptionStatus::Active | SubscriptionStatus::Paused => {
                    next.order = self.order.edited(edit)?;
                    events.push(Event::OrderEdited);
                }
                SubscriptionStatus::Canceled | SubscriptionStatus::Finished => {
                    return Err(self.refuse(&command));
                }
            },
            Command::CatchUp { policy } => match self.status {
                SubscriptionStatus::Active => {
                    let pass = due(self, now, policy);
                    for range in &pass.missed {
                        events.push(Event::CyclesMissed(*range));
                    }
                    for skipped in &pass.skipped {
                        next.skip.remove(&skipped.number);
                        events.push(Event::CycleRecorded(Cycle {
                            number: skipped.number,
                            scheduled_for: skipped.scheduled_for,
                            status: CycleStatus::Skipped,
                            order_id: None,
                            attempts: 0,
                            error: None,
                        }));
                    }
                    // Sort the two kinds of record into cycle order for the log.
                    events.sort_by_key(|e| match e {
                        Event::CyclesMissed(r) => r.first(),
                        Event::CycleRecorded(c) => c.number,
                        Event::Paused { .. }
                        | Event::Resumed { .. }
                        | Event::Canceled { .. }
                        | Event::CycleSkipMarked(_)
                        | Event::ScheduleEdited { .. }
                        | Event::OrderEdited
                        | Event::Finished
                        | Event::PaymentFollowed { .. } => 0,
                    });
                    if self.cursor() != pass.settled_to {
                        let through = pass
                            .missed
                            .iter()
                            .map(CycleRange::last)
                            .chain(pass.skipped.iter().map(|c| c.number))
                            .max()
                            .unwrap_or(self.next_cycle.saturating_sub(1));
                        next.settle_to(pass.settled_to, through, &mut events);
                    }
                }
                SubscriptionStatus::Paused
                | SubscriptionStatus::Canceled
                | SubscriptionStatus::Finished => return Err(self.refuse(&command)),
            },
            Command::RecordCycle {
                number,
                outcome,
                follow_payment,
            } => match self.status {
                SubscriptionStatus::Active
                | SubscriptionStatus::Paused
                | SubscriptionStatus::Canceled => {
                    let scheduled_for = self
                        .next_cycle_at
                        .filter(|_| *number == self.next_cycle)
                        .ok_or(SubscriptionError::CycleNotPending {
                        number: *number,
                        expected: self.next_cycle,
                    })?;
                    let attempts = match outcome {
                        CycleOutcome::Created { .. } | CycleOutcome::Failed { .. } => {
                            self.attempts.saturating_add(1)
                        }
                        CycleOutcome::Skipped | CycleOutcome::Missed => self.attempts,
                    };
                    let (status, order_id, error) = match outcome {
                        CycleOutcome::Created { order_id } => {
                            (CycleStatus::Created, Some(order_id.clone()), None)
                        }
                        CycleOutcome::Failed { reason } => {
                            (CycleStatus::Failed, None, Some(reason.clone()))
                        }
                        CycleOutcome::Skipped => (CycleStatus::Skipped, None, None),
                        CycleOutcome::Missed => (CycleStatus::Missed, None, None),
                    };
                    events.push(Event::CycleRecorded(Cycle {
                        number: *number,
                        scheduled_for,
                        status,
                        order_id,
                        attempts,
                        error: error.clone(),
                    }));
                    match status {
                        CycleStatus::Failed => {
                            next.attempts = attempts;
                            next.last_error = error;
                        }
                        CycleStatus::Created | CycleStatus::Skipped | CycleStatus::Missed => {
                            if let CycleOutcome::Created { order_id } = outcome {
                                next.cycle_count = next.cycle_count.saturating_add(1);
                                // One check at a time: the new cycle's replaces an older one.
                                next.payment_check = None;
                                if let Some(policy) = follow_payment.filter(|p| p.follows()) {
                                    next.payment_check = Some(PaymentCheck {
                                        cycle: *number,
                                        scheduled_for,
                                        attempt: 1,
                                        created_after: attempts,
                                        max_attempts: policy.attempts,
                                        order_id: order_id.clone(),
                                        check_at: policy.check_after(now),
                                        last_failure: None,
                                    });
                                }
                            }
                            next.skip.remove(number);
                            let following = self
                                .cursor()
                                .and_then(|c| self.recurrence.following(&c))
                                .filter(|o| self.exists(o));
                            next.settle_to(following, *number, &mut events);
                        }
                    }
                }
                SubscriptionStatus::Finished => return Err(self.refuse(&command)),
            },
            Command::FollowPayment {
                cycle,
                attempt,
                step,
            } => {
                let check = self
                    .payment_check
                    .as_ref()
                    .filter(|c| c.cycle == *cycle && c.attempt == *attempt)
                    .ok_or(SubscriptionError::PaymentCheckStale {
                        cycle: *cycle,
                        attempt: *attempt,
                    })?;
                next.follow_payment(check, step, &mut events);
            }
        }
        if !events.is_empty() {
            next.version = self.version.saturating_add(1);
            next.updated_at = now;
        }
        Ok(Transition {
            subscription: next,
            events,
        })
    }

    /// Applies a payment step to the current check (see [`payment`](super::payment)).
    fn follow_payment(
        &mut self,
        check: &PaymentCheck,
        step: &PaymentStep,
        events: &mut Vec<Event>,
    ) {
        events.push(Event::PaymentFollowed {
            cycle: check.cycle,
            attempt: check.attempt,
            step: step.clone(),
        });
        let record = |status, order_id: &OrderId, attempts, error: &Text| {
            Event::CycleRecorded(Cycle {
                number: check.cycle,
                scheduled_for: check.scheduled_for,
                status,
                order_id: Some(order_id.clone()),
                attempts,
                error: Some(error.clone()),
            })
        };
        match step {
            PaymentStep::Settled => self.payment_check = None,
            PaymentStep::Pending { check_at } => {
                self.payment_check = Some(PaymentCheck {
                    check_at: *check_at,
                    ..check.clone()
                });
            }
            PaymentStep::Retried {
                reason,
                order_id,
                check_at,
            } => {
                let attempt = check.attempt.saturating_add(1);
                let attempts = check.created_after.saturating_add(check.attempt);
                events.push(record(CycleStatus::Created, order_id, attempts, reason));
                self.payment_check = Some(PaymentCheck {
                    attempt,
                    order_id: order_id.clone(),
                    check_at: *check_at,
                    last_failure: Some(reason.clone()),
                    ..check.clone()
                });
            }
            PaymentStep::GaveUp { reason } => {
                let attempts = check
                    .created_after
                    .saturating_add(check.attempt.saturating_sub(1));
                events.push(record(
                    CycleStatus::Failed,
                    &check.order_id,
                    attempts,
                    reason,
                ));
                self.payment_check = None;
                if self.status == SubscriptionStatus::Active {
                    self.status = SubscriptionStatus::Paused;
                    self.pause_reason = Some(reason.clone());
                    events.push(Event::Paused {
                        reason: Some(reason.clone()),
                    });
                }
            }
        }
    }

    /// Moves the cursor to `to` (an existing occurrence). When `None`, no cycle remains after
    /// `settled_through`: the subscription finishes (a canceled one stays canceled).
    fn settle_to(&mut self, to: Option<Occurrence>, settled_through: u32, events: &mut Vec<Event>) {
        self.attempts = 0;
        self.last_error = None;
        match to {
            Some(o) => {
                self.next_cycle = self.number(&o);
                self.next_cycle_at = Some(o.at);
            }
            None => {
                self.next_cycle = settled_through.saturating_add(1);
                self.next_cycle_at = None;
                self.skip.clear();
                match self.status {
                    SubscriptionStatus::Active | SubscriptionStatus::Paused => {
                        self.status = SubscriptionStatus::Finished;
                        events.push(Event::Finished);
                    }
                    SubscriptionStatus::Canceled | SubscriptionStatus::Finished => {}
                }
            }
        }
    }
}
