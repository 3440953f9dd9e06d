//! Tests of the subscription aggregate, its transitions and the due function.

use chrono::TimeDelta;
use proptest::prelude::*;

use super::*;
use crate::values::OrderId;

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn at(s: &str) -> Timestamp {
    // Test literals only; a typo fails loudly.
    match Timestamp::parse(s) {
        Ok(t) => t,
        Err(e) => panic!("bad test timestamp {s}: {e}"),
    }
}

fn new(
    schedule: Schedule,
    start: &str,
    end: Option<&str>,
    max_cycles: Option<u32>,
) -> Result<Subscription, Box<dyn std::error::Error>> {
    Ok(Subscription::new(NewSubscription {
        id: SubscriptionId::parse("s-1")?,
        plan_id: Some(PlanId::parse("p-1")?),
        schedule,
        purchase_day: None,
        timezone: TimeZone::parse("America/Sao_Paulo")?,
        start_at: at(start),
        end_at: end.map(at),
        max_cycles,
        order: template::sample(),
        now: at(start),
    })?)
}

fn monthly(start: &str) -> Result<Subscription, Box<dyn std::error::Error>> {
    new(Schedule::every(1, Unit::Month)?, start, None, None)
}

fn created(n: u32) -> Result<Command, Box<dyn std::error::Error>> {
    Ok(Command::RecordCycle {
        number: n,
        outcome: CycleOutcome::Created {
            order_id: OrderId::parse(&format!("o-{n}"))?,
        },
        follow_payment: None,
    })
}

fn text(s: &str) -> Result<Text, Box<dyn std::error::Error>> {
    Ok(Text::parse(s, 200)?)
}

#[test]
fn a_new_subscription_is_active_with_cycle_1_due_at_its_start() -> TestResult {
    let sub = monthly("2025-01-31T12:00:00Z")?;
    assert_eq!(sub.status(), SubscriptionStatus::Active);
    assert_eq!(sub.next_cycle(), 1);
    assert_eq!(sub.next_run_at(), Some(at("2025-01-31T12:00:00Z")));
    assert_eq!((sub.cycle_count(), sub.version()), (0, 1));
    let pass = due(&sub, at("2025-01-31T12:00:00Z"), &CatchUpPolicy::default());
    assert_eq!(
        pass.charge,
        Some(DueCycle {
            number: 1,
            scheduled_for: at("2025-01-31T12:00:00Z"),
            attempt: 1
        })
    );
    assert_eq!(pass.next_run_at, Some(at("2025-02-28T12:00:00Z")));
    assert!(!pass.finishes);
    Ok(())
}

#[test]
fn nothing_is_due_before_the_first_cycle() -> TestResult {
    let sub = monthly("2025-01-31T12:00:00Z")?;
    let pass = due(&sub, at("2025-01-31T11:59:59Z"), &CatchUpPolicy::default());
    assert!(pass.is_idle());
    assert_eq!(pass.next_run_at, Some(at("2025-01-31T12:00:00Z")));
    Ok(())
}

#[test]
fn a_subscription_that_would_never_have_a_cycle_is_refused() -> TestResult {
    let zero = new(
        Schedule::every(1, Unit::Day)?,
        "2025-01-01T00:00:00Z",
        None,
        Some(0),
    );
    assert_eq!(
        zero.err().map(|e| e.to_string()),
        Some(SubscriptionError::NoCycles.to_string())
    );
    let ended = new(
        Schedule::every(1, Unit::Day)?,
        "2025-01-01T00:00:00Z",
        Some("2024-12-31T00:00:00Z"),
        None,
    );
    assert!(ended.is_err());
    Ok(())
}

#[test]
fn a_created_cycle_is_counted_and_the_next_one_is_scheduled() -> TestResult {
    let sub = monthly("2025-01-31T12:00:00Z")?;
    let t = sub.apply(created(1)?, at("2025-01-31T12:00:05Z"))?;
    let s = &t.subscription;
    assert_eq!((s.cycle_count(), s.next_cycle(), s.version()), (1, 2, 2));
    assert_eq!(s.next_run_at(), Some(at("2025-02-28T12:00:00Z")));
    assert_eq!(s.updated_at(), at("2025-01-31T12:00:05Z"));
    assert!(matches!(
        t.events.as_slice(),
        [Event::CycleRecorded(Cycle {
            number: 1,
            status: CycleStatus::Created,
            attempts: 1,
            ..
        })]
    ));
    Ok(())
}

#[test]
fn a_failed_order_creation_leaves_the_cycle_pending_and_the_next_pass_retries_it() -> TestResult {
    let sub = monthly("2025-01-31T12:00:00Z")?;
    let failed = Command::RecordCycle {
        number: 1,
        outcome: CycleOutcome::Failed {
            reason: text("orders service unavailable")?,
        },
        follow_payment: Some(PaymentRetryPolicy::default()),
    };
    let t = sub.apply(failed, at("2025-01-31T12:00:05Z"))?;
    let s = t.subscription;
    assert_eq!((s.next_cycle(), s.attempts(), s.cycle_count()), (1, 1, 0));
    assert_eq!(
        s.last_error().map(Text::as_str),
        Some("orders service unavailable")
    );
    assert!(matches!(
        t.events.as_slice(),
        [Event::CycleRecorded(Cycle {
            number: 1,
            status: CycleStatus::Failed,
            attempts: 1,
            error: Some(_),
            ..
        })]
    ));
    let retry = due(&s, at("2025-01-31T12:01:00Z"), &CatchUpPolicy::default());
    assert_eq!(retry.charge.map(|c| (c.number, c.attempt)), Some((1, 2)));
    // Retried until it is older than the limit: then it is missed.
    let late = due(&s, at("2025-02-03T12:00:01Z"), &CatchUpPolicy::default());
    assert_eq!(
        late.missed,
        CycleRange::new(1, 1).into_iter().collect::<Vec<_>>()
    );
    assert_eq!(late.charge, None);
    let s = s
        .apply(created(1)?, at("2025-01-31T12:02:00Z"))?
        .subscription;
    assert_eq!((s.next_cycle(), s.attempts(), s.last_error()), (2, 0, None));
    Ok(())
}

#[test]
fn only_the_oldest_unsettled_cycle_can_be_recorded() -> TestResult {
    let sub = monthly("2025-01-31T12:00:00Z")?;
    let err = sub.apply(created(2)?, at("2025-03-01T00:00:00Z"));
    assert_eq!(
        err,
        Err(SubscriptionError::CycleNotPending {
            number: 2,
            expected: 1
        })
    );
    assert_eq!(err.err().map(|e| e.code()), Some("cycle-not-pending"));
    Ok(())
}

#[test]
fn after_downtime_a_pass_misses_the_too_late_cycles_and_charges_the_oldest_on_time_one()
-> TestResult {
    let sub = new(
        Schedule::every(1, Unit::Day)?,
        "2025-01-01T12:00:00Z",
        None,
        None,
    )?;
    // Down for ten days: cycles 1..=11 fell by Jan 11 12:00; with three days' lateness the
    // cycles of Jan 8 (12:00 is exactly the limit) and later are still charged.
    let now = at("2025-01-11T12:00:00Z");
    let pass = due(&sub, now, &CatchUpPolicy::default());
    assert_eq!(
        pass.missed,
        CycleRange::new(1, 7).into_iter().collect::<Vec<_>>()
    );
    assert_eq!(pass.missed_count(), 7);
    assert_eq!(pass.charge.map(|c| c.number), Some(8));
    assert_eq!(pass.next_run_at, Some(at("2025-01-09T12:00:00Z")));
    // The catch-up command records exactly that, and leaves cycle 8 pending.
    let t = sub.apply(
        Command::CatchUp {
            policy: CatchUpPolicy::default(),
        },
        now,
    )?;
    assert_eq!(
        t.events,
        [Event::CyclesMissed(CycleRange::new(1, 7).ok_or("range")?)]
    );
    let s = t.subscription;
    assert_eq!(
        (s.next_cycle(), s.next_run_at()),
        (8, Some(at("2025-01-08T12:00:00Z")))
    );
    // One order per pass: the next pass charges cycle 9, and so on.
    let s = s.apply(created(8)?, now)?.subscription;
    assert_eq!(s.next_run_at(), pass.next_run_at);
    let next = due(&s, at("2025-01-11T12:01:00Z"), &CatchUpPolicy::default());
    assert_eq!(next.charge.map(|c| c.number), Some(9));
    assert!(next.missed.is_empty());
    Ok(())
}

#[test]
fn a_catch_up_with_nothing_to_settle_changes_nothing() -> TestResult {
    let sub = monthly("2025-01-31T12:00:00Z")?;
    let t = sub.apply(
        Command::CatchUp {
            policy: CatchUpPolicy::default(),
        },
        at("2025-01-31T12:00:00Z"),
    )?;
    assert!(t.events.is_empty());
    assert_eq!(t.subscription, sub);
    Ok(())
}

#[test]
fn paused_canceled_and_finished_subscriptions_have_nothing_due() -> TestResult {
    let sub = monthly("2025-01-31T12:00:00Z")?;
    let now = at("2025-06-01T00:00:00Z");
    let paused = sub
        .apply(Command::Pause { reason: None }, now)?
        .subscription;
    assert!(due(&paused, now, &CatchUpPolicy::default()).is_idle());
    assert_eq!(paused.next_run_at(), None);
    let canceled = sub
        .apply(Command::Cancel { reason: None }, now)?
        .subscription;
    assert!(due(&canceled, now, &CatchUpPolicy::default()).is_idle());
    let once = new(
        Schedule::every(1, Unit::Day)?,
        "2025-01-01T00:00:00Z",
        None,
        Some(1),
    )?;
    let finished = once.apply(created(1)?, now)?;
    assert_eq!(finished.subscription.status(), SubscriptionStatus::Finished);
    assert_eq!(finished.events.last(), Some(&Event::Finished));
    assert!(due(&finished.subscription, now, &CatchUpPolicy::default()).is_idle());
    let again = once.apply(
        Command::CatchUp {
            policy: CatchUpPolicy::default(),
        },
        now,
    );
    assert!(again.is_ok());
    Ok(())
}

#[test]
fn on_resume_the_cycles_that_fell_during_the_pause_are_skipped_not_charged() -> TestResult {
    let sub = monthly("2025-01-01T12:00:00Z")?;
    let sub = sub
        .apply(created(1)?, at("2025-01-01T12:00:00Z"))?
        .subscription;
    let paused = sub
        .apply(
            Command::Pause {
                reason: Some(text("vacation")?),
            },
            at("2025-01-15T00:00:00Z"),
        )?
        .subscription;
    assert_eq!(paused.pause_reason().map(Text::as_str), Some("vacation"));
    let t = paused.apply(Command::Resume, at("2025-04-10T00:00:00Z"))?;
    assert_eq!(
        t.events,
        [Event::Resumed {
            skipped: CycleRange::new(2, 4)
        }]
    );
    let s = t.subscription;
    assert_eq!(s.status(), SubscriptionStatus::Active);
    assert_eq!(s.pause_reason(), None);
    assert_eq!(
        (s.next_cycle(), s.next_run_at()),
        (5, Some(at("2025-05-01T12:00:00Z")))
    );
    assert!(due(&s, at("2025-04-10T00:00:00Z"), &CatchUpPolicy::default()).is_idle());
    Ok(())
}

#[test]
fn a_resume_at_the_instant_of_a_cycle_keeps_that_cycle() -> TestResult {
    let sub = monthly("2025-01-01T12:00:00Z")?;
    let paused = sub
        .apply(Command::Pause { reason: None }, at("2025-01-01T00:00:00Z"))?
        .subscription;
    let t = paused.apply(Command::Resume, at("2025-01-01T12:00:00Z"))?;
    assert_eq!(t.events, [Event::Resumed { skipped: None }]);
    assert_eq!(t.subscription.next_cycle(), 1);
    Ok(())
}

#[test]
fn a_resume_after_the_last_cycle_skips_the_rest_and_finishes() -> TestResult {
    let sub = new(
        Schedule::every(1, Unit::Week)?,
        "2025-01-01T12:00:00Z",
        None,
        Some(3),
    )?;
    let paused = sub
        .apply(Command::Pause { reason: None }, at("2025-01-01T00:00:00Z"))?
        .subscription;
    let t = paused.apply(Command::Resume, at("2025-06-01T00:00:00Z"))?;
    assert_eq!(
        t.events,
        [
            Event::Resumed {
                skipped: CycleRange::new(1, 3)
            },
            Event::Finished
        ]
    );
    assert_eq!(t.subscription.status(), SubscriptionStatus::Finished);
    assert_eq!(t.subscription.next_cycle(), 4);
    Ok(())
}

#[test]
fn commands_outside_their_statuses_are_invalid_transitions_naming_from_and_to() -> TestResult {
    let sub = monthly("2025-01-01T12:00:00Z")?;
    let now = at("2025-01-02T00:00:00Z");
    let resume = sub.apply(Command::Resume, now);
    assert_eq!(
        resume,
        Err(SubscriptionError::InvalidTransition {
            from: SubscriptionStatus::Active,
            to: Some(SubscriptionStatus::Active),
            command: "resume",
        })
    );
    assert_eq!(resume.err().map(|e| e.code()), Some("invalid-transition"));
    let paused = sub
        .apply(Command::Pause { reason: None }, now)?
        .subscription;
    assert!(paused.apply(Command::Pause { reason: None }, now).is_err());
    assert!(
        paused
            .apply(
                Command::CatchUp {
                    policy: CatchUpPolicy::default()
                },
                now
            )
            .is_err()
    );
    let canceled = paused
        .apply(
            Command::Cancel {
                reason: Some(text("moved away")?),
            },
            now,
        )?
        .subscription;
    assert_eq!(
        canceled.cancel_reason().map(Text::as_str),
        Some("moved away")
    );
    for command in [
        Command::Pause { reason: None },
        Command::Resume,
        Command::Cancel { reason: None },
        Command::SkipNext,
    ] {
        let err = canceled.apply(command.clone(), now);
        assert_eq!(
            err,
            Err(SubscriptionError::InvalidTransition {
                from: SubscriptionStatus::Canceled,
                to: command.target(),
                command: command.name(),
            })
        );
    }
    Ok(())
}

#[test]
fn an_order_created_before_a_cancel_is_still_recorded() -> TestResult {
    let sub = monthly("2025-01-01T12:00:00Z")?;
    let now = at("2025-01-01T12:00:01Z");
    let canceled = sub
        .apply(Command::Cancel { reason: None }, now)?
        .subscription;
    let s = canceled.apply(created(1)?, now)?.subscription;
    assert_eq!(s.status(), SubscriptionStatus::Canceled);
    assert_eq!((s.cycle_count(), s.next_cycle()), (1, 2));
    assert_eq!(s.next_run_at(), None);
    Ok(())
}

#[test]
fn skip_next_marks_successive_cycles_and_a_pass_records_them_as_skipped() -> TestResult {
    let sub = new(
        Schedule::every(1, Unit::Week)?,
        "2025-01-01T12:00:00Z",
        None,
        None,
    )?;
    let now = at("2024-12-20T00:00:00Z");
    let t = sub.apply(Command::SkipNext, now)?;
    assert_eq!(
        t.events,
        [Event::CycleSkipMarked(ScheduledCycle {
            number: 1,
            scheduled_for: at("2025-01-01T12:00:00Z")
        })]
    );
    let s = t.subscription.apply(Command::SkipNext, now)?.subscription;
    assert_eq!(
        s.skipped_cycles().iter().copied().collect::<Vec<_>>(),
        [1, 2]
    );
    let pass_at = at("2025-01-08T12:00:00Z");
    let pass = due(&s, pass_at, &CatchUpPolicy::default());
    assert_eq!(
        pass.skipped.iter().map(|c| c.number).collect::<Vec<_>>(),
        [1, 2]
    );
    assert_eq!(pass.charge, None);
    assert_eq!(pass.next_run_at, Some(at("2025-01-15T12:00:00Z")));
    let t = s.apply(
        Command::CatchUp {
            policy: CatchUpPolicy::default(),
        },
        pass_at,
    )?;
    assert_eq!(t.events.len(), 2);
    let s = t.subscription;
    assert!(s.skipped_cycles().is_empty());
    assert_eq!(
        (s.next_cycle(), s.next_run_at()),
        (3, Some(at("2025-01-15T12:00:00Z")))
    );
    Ok(())
}

#[test]
fn after_a_skip_next_run_at_is_the_next_cycle_really_charged() -> TestResult {
    let sub = new(
        Schedule::every(1, Unit::Week)?,
        "2025-01-01T12:00:00Z",
        None,
        Some(3),
    )?;
    let now = at("2024-12-20T00:00:00Z");
    let s = sub.apply(Command::SkipNext, now)?.subscription;
    // Cycle 1 is marked: the next charge is cycle 2, a week later. The runner still settles
    // cycle 1 at its time (recorded as skipped).
    assert_eq!(s.next_cycle(), 1);
    assert_eq!(s.next_run_at(), Some(at("2025-01-08T12:00:00Z")));
    assert_eq!(s.next_cycle_at(), Some(at("2025-01-01T12:00:00Z")));
    assert_eq!(s.wake_at(), Some(at("2025-01-01T12:00:00Z")));
    let s = s.apply(Command::SkipNext, now)?.subscription;
    assert_eq!(s.next_run_at(), Some(at("2025-01-15T12:00:00Z")));
    // The third and last cycle marked too: nothing will be charged again.
    let s = s.apply(Command::SkipNext, now)?.subscription;
    assert_eq!(s.next_run_at(), None);
    assert_eq!(s.wake_at(), Some(at("2025-01-01T12:00:00Z")));
    // The pass at cycle 1's time records the marks it reaches; the next run stays cycle 2's.
    let one = sub.apply(Command::SkipNext, now)?.subscription;
    let t = one.apply(
        Command::CatchUp {
            policy: CatchUpPolicy::default(),
        },
        at("2025-01-01T12:01:00Z"),
    )?;
    let after = t.subscription;
    assert_eq!(after.next_cycle(), 2);
    assert_eq!(after.next_run_at(), Some(at("2025-01-08T12:00:00Z")));
    // Paused: no next run, marked or not.
    let paused = one
        .apply(Command::Pause { reason: None }, now)?
        .subscription;
    assert_eq!(paused.next_run_at(), None);
    Ok(())
}

#[test]
fn a_schedule_edit_drops_the_marks_of_cycles_before_its_anchor() -> TestResult {
    let sub = monthly("2025-03-01T15:00:00Z")?;
    let now = at("2025-02-20T00:00:00Z");
    let marked = sub.apply(Command::SkipNext, now)?.subscription;
    let marked = marked.apply(Command::SkipNext, now)?.subscription;
    assert_eq!(marked.next_run_at(), Some(at("2025-05-01T15:00:00Z")));
    // Weekly from the next run shown (May 1): cycles 1 and 2 fell before it, so their marks go
    // and cycle 1 of the new schedule is charged on May 1.
    let edit = |anchor: &str| ScheduleEdit {
        schedule: Schedule::every(1, Unit::Week).expect("a week"),
        purchase_day: None,
        timezone: marked.timezone(),
        anchor: at(anchor),
        end_at: None,
        max_cycles: None,
    };
    let edited = marked
        .apply(Command::EditSchedule(edit("2025-05-01T15:00:00Z")), now)?
        .subscription;
    assert!(edited.skipped_cycles().is_empty());
    assert_eq!(edited.next_cycle(), 1);
    assert_eq!(edited.next_run_at(), Some(at("2025-05-01T15:00:00Z")));
    // From March 15: cycle 1 (March 1) fell before, its mark goes; cycle 2 (April 1) did not,
    // so the new schedule's cycle 2 (March 22) stays skipped.
    let edited = marked
        .apply(Command::EditSchedule(edit("2025-03-15T15:00:00Z")), now)?
        .subscription;
    assert_eq!(
        edited.skipped_cycles().iter().copied().collect::<Vec<_>>(),
        [2]
    );
    assert_eq!(edited.next_run_at(), Some(at("2025-03-15T15:00:00Z")));
    assert_eq!(edited.scheduled_for(3), Some(at("2025-03-29T15:00:00Z")));
    Ok(())
}

#[test]
fn a_skipped_cycle_stays_skipped_however_late_the_pass() -> TestResult {
    let sub = new(
        Schedule::every(1, Unit::Day)?,
        "2025-01-01T12:00:00Z",
        None,
        None,
    )?;
    let s = sub
        .apply(Command::SkipNext, at("2025-01-01T00:00:00Z"))?
        .subscription
        .apply(Command::SkipNext, at("2025-01-01T00:00:00Z"))?
        .subscription;
    // Jan 20: the cutoff is Jan 17 12:00, so cycle 17 is just on time.
    let pass = due(&s, at("2025-01-20T12:00:00Z"), &CatchUpPolicy::default());
    assert_eq!(
        pass.skipped.iter().map(|c| c.number).collect::<Vec<_>>(),
        [1, 2]
    );
    assert_eq!(
        pass.missed,
        CycleRange::new(3, 16).into_iter().collect::<Vec<_>>()
    );
    assert_eq!(pass.charge.map(|c| c.number), Some(17));
    Ok(())
}

#[test]
fn at_most_twelve_cycles_may_be_marked_skipped_and_never_past_the_last() -> TestResult {
    let mut s = new(
        Schedule::every(1, Unit::Day)?,
        "2025-01-01T12:00:00Z",
        None,
        None,
    )?;
    let now = at("2025-01-01T00:00:00Z");
    for _ in 0..Subscription::MAX_SKIPS {
        s = s.apply(Command::SkipNext, now)?.subscription;
    }
    let too_many = s.apply(Command::SkipNext, now);
    assert_eq!(too_many, Err(SubscriptionError::TooManySkips { max: 12 }));
    let short = new(
        Schedule::every(1, Unit::Day)?,
        "2025-01-01T12:00:00Z",
        None,
        Some(1),
    )?;
    let short = short.apply(Command::SkipNext, now)?.subscription;
    assert_eq!(
        short.apply(Command::SkipNext, now),
        Err(SubscriptionError::NoCycleToSkip)
    );
    Ok(())
}

#[test]
fn max_cycles_counts_skipped_and_missed_cycles_too() -> TestResult {
    let sub = new(
        Schedule::every(1, Unit::Day)?,
        "2025-01-01T12:00:00Z",
        None,
        Some(3),
    )?;
    let sub = sub
        .apply(Command::SkipNext, at("2025-01-01T00:00:00Z"))?
        .subscription;
    // Cycle 1 skipped, cycle 2 charged, cycle 3 is the last.
    let pass = due(&sub, at("2025-01-02T12:00:00Z"), &CatchUpPolicy::default());
    assert_eq!(pass.charge.map(|c| c.number), Some(2));
    assert_eq!(pass.next_run_at, Some(at("2025-01-03T12:00:00Z")));
    // Ten days later: cycle 1 skipped, 2 and 3 missed, nothing charged, finished.
    let pass = due(&sub, at("2025-01-13T12:00:00Z"), &CatchUpPolicy::default());
    assert_eq!(pass.skipped.len(), 1);
    assert_eq!(
        pass.missed,
        CycleRange::new(2, 3).into_iter().collect::<Vec<_>>()
    );
    assert!(pass.finishes && pass.next_run_at.is_none() && pass.charge.is_none());
    let t = sub.apply(
        Command::CatchUp {
            policy: CatchUpPolicy::default(),
        },
        at("2025-01-13T12:00:00Z"),
    )?;
    assert_eq!(t.subscription.status(), SubscriptionStatus::Finished);
    assert_eq!(t.subscription.next_cycle(), 4);
    assert_eq!(t.events.last(), Some(&Event::Finished));
    Ok(())
}

#[test]
fn no_cycle_falls_after_the_end_date() -> TestResult {
    let sub = new(
        Schedule::every(1, Unit::Month)?,
        "2025-01-31T12:00:00Z",
        Some("2025-03-31T12:00:00Z"),
        None,
    )?;
    let now = at("2025-03-31T12:00:00Z");
    let s = sub.apply(created(1)?, now)?.subscription;
    let s = s.apply(created(2)?, now)?.subscription;
    let pass = due(&s, now, &CatchUpPolicy::default());
    assert_eq!(pass.charge.map(|c| c.number), Some(3));
    assert!(pass.finishes);
    let t = s.apply(created(3)?, now)?;
    assert_eq!(t.subscription.status(), SubscriptionStatus::Finished);
    assert_eq!(t.subscription.cycle_count(), 3);
    Ok(())
}

#[test]
fn an_edited_schedule_starts_at_its_anchor_and_numbering_goes_on() -> TestResult {
    let sub = monthly("2025-01-31T12:00:00Z")?;
    let now = at("2025-02-10T00:00:00Z");
    let sub = sub.apply(created(1)?, now)?.subscription;
    let edit = ScheduleEdit {
        schedule: Schedule::every(2, Unit::Week)?,
        purchase_day: None,
        timezone: TimeZone::parse("Europe/Berlin")?,
        anchor: at("2025-02-14T08:00:00Z"),
        end_at: None,
        max_cycles: Some(4),
    };
    let t = sub.apply(Command::EditSchedule(edit.clone()), now)?;
    assert_eq!(
        t.events,
        [Event::ScheduleEdited {
            next_cycle: 2,
            next_run_at: at("2025-02-14T08:00:00Z")
        }]
    );
    let s = t.subscription;
    assert_eq!(s.timezone().name(), "Europe/Berlin");
    assert_eq!(s.scheduled_for(3), Some(at("2025-02-28T08:00:00Z")));
    assert_eq!(s.scheduled_for(4), Some(at("2025-03-14T08:00:00Z")));
    assert_eq!(s.scheduled_for(5), None, "max cycles is 4");
    assert_eq!(s.scheduled_for(1), None, "before the edit");
    let past = ScheduleEdit {
        anchor: at("2025-02-01T00:00:00Z"),
        ..edit
    };
    assert_eq!(
        sub.apply(Command::EditSchedule(past), now)
            .err()
            .map(|e| e.code()),
        Some("anchor-in-the-past")
    );
    Ok(())
}

#[test]
fn a_subscription_round_trips_through_json_in_the_api_shape() -> TestResult {
    let sub = monthly("2025-01-31T12:00:00Z")?;
    let sub = sub
        .apply(Command::SkipNext, at("2025-01-01T00:00:00Z"))?
        .subscription;
    let json = serde_json::to_value(&sub)?;
    for key in [
        "id",
        "planId",
        "status",
        "schedule",
        "purchaseDay",
        "timezone",
        "startAt",
        "endAt",
        "maxCycles",
        "nextCycle",
        "cycleCount",
        "anchorAt",
        "cycleOffset",
        "skip",
        "paymentCheck",
        "channel",
        "currency",
        "customer",
        "shippingAddress",
        "billingAddress",
        "items",
        "shipping",
        "payment",
        "version",
        "createdAt",
        "updatedAt",
    ] {
        assert!(json.get(key).is_some(), "{key} in {json}");
    }
    assert_eq!(json["status"], "active");
    // The recurrence is checked on the way in: a purchase day does not fit a daily schedule.
    let mut on_the_5th = json.clone();
    on_the_5th["purchaseDay"] = serde_json::json!(5);
    assert!(serde_json::from_value::<Subscription>(on_the_5th).is_ok());
    let mut daily = json.clone();
    daily["schedule"] = serde_json::json!({"every": 1, "unit": "day"});
    daily["purchaseDay"] = serde_json::json!(5);
    assert!(serde_json::from_value::<Subscription>(daily).is_err());
    assert_eq!(json["timezone"], "America/Sao_Paulo");
    assert_eq!(serde_json::from_value::<Subscription>(json)?, sub);
    Ok(())
}

#[test]
fn a_cron_subscription_catches_up_like_an_interval_one() -> TestResult {
    let sub = new(
        Schedule::cron("0 0 9 * * MON")?,
        "2025-01-01T00:00:00Z",
        None,
        None,
    )?;
    assert_eq!(sub.next_run_at(), Some(at("2025-01-06T12:00:00Z")));
    let pass = due(&sub, at("2025-02-04T00:00:00Z"), &CatchUpPolicy::default());
    // Mondays Jan 6, 13, 20, 27 are late; Feb 3 09:00 local (12:00Z) is on time.
    assert_eq!(
        pass.missed,
        CycleRange::new(1, 4).into_iter().collect::<Vec<_>>()
    );
    assert_eq!(
        pass.charge.map(|c| (c.number, c.scheduled_for)),
        Some((5, at("2025-02-03T12:00:00Z")))
    );
    assert_eq!(pass.next_run_at, Some(at("2025-02-10T12:00:00Z")));
    Ok(())
}

// ---- the catch-up policy over ten years of downtime ----

/// What a pass must do, by brute force over every occurrence.
struct Expected {
    missed: Vec<u32>,
    skipped: Vec<u32>,
    charge: Option<(u32, Timestamp)>,
    next: Option<Timestamp>,
}

fn expected(sub: &Subscription, now: Timestamp, policy: &CatchUpPolicy) -> Expected {
    let cutoff = now.checked_sub(policy.max_lateness);
    let mut e = Expected {
        missed: Vec::new(),
        skipped: Vec::new(),
        charge: None,
        next: None,
    };
    let existing = sub.recurrence().occurrences().take_while(|o| {
        sub.max_cycles().is_none_or(|m| o.index <= m) && sub.end_at().is_none_or(|end| o.at <= end)
    });
    for o in existing {
        if e.charge.is_some() || o.at > now {
            e.next = Some(o.at);
            break;
        }
        if sub.skipped_cycles().contains(&o.index) {
            e.skipped.push(o.index);
        } else if cutoff.is_some_and(|c| o.at < c) {
            e.missed.push(o.index);
        } else {
            e.charge = Some((o.index, o.at));
        }
    }
    e
}

fn schedule() -> impl Strategy<Value = Schedule> {
    prop_oneof![
        (
            1u32..=3,
            prop_oneof![Just(Unit::Day), Just(Unit::Week), Just(Unit::Month)]
        )
            .prop_filter_map("valid", |(n, u)| Schedule::every(n, u).ok()),
        prop_oneof![
            Just("0 0 9 * * MON"),
            Just("0 30 2 * * *"),
            Just("0 0 0 1 * *")
        ]
        .prop_filter_map("valid", |c| Schedule::cron(c).ok()),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn after_ten_years_of_downtime_one_pass_follows_the_catch_up_policy_exactly(
        schedule in schedule(),
        tz in proptest::sample::select(&["America/Sao_Paulo", "Europe/Berlin", "UTC"][..]),
        start in 1_262_304_000i64..1_420_070_400, // 2010..2015
        extra_minutes in 0i64..(60 * 24 * 60),
        lateness_hours in 0i64..(24 * 10),
        skips in 0usize..4,
        max_cycles in proptest::option::of(1u32..5000),
        end_years in proptest::option::of(1i64..12),
    ) {
        let fail = |e: &dyn std::fmt::Display| TestCaseError::fail(e.to_string());
        let start = Timestamp::from_unix_seconds(start).ok_or_else(|| fail(&"start"))?;
        let end_at = end_years.and_then(|y| start.checked_add(TimeDelta::days(365 * y)));
        let made = Subscription::new(NewSubscription {
            id: SubscriptionId::parse("s").map_err(|e| fail(&e))?,
            plan_id: None,
            schedule,
            purchase_day: None,
            timezone: TimeZone::parse(tz).map_err(|e| fail(&e))?,
            start_at: start,
            end_at,
            max_cycles,
            order: template::sample(),
            now: start,
        });
        let Ok(mut sub) = made else { return Ok(()); };
        for _ in 0..skips {
            match sub.apply(Command::SkipNext, start) {
                Ok(t) => sub = t.subscription,
                Err(_) => break,
            }
        }
        let now = start
            .checked_add(TimeDelta::days(3653) + TimeDelta::minutes(extra_minutes))
            .ok_or_else(|| fail(&"now"))?;
        let policy = CatchUpPolicy { max_lateness: TimeDelta::hours(lateness_hours) };

        let pass = due(&sub, now, &policy);
        let want = expected(&sub, now, &policy);
        let missed: Vec<u32> = pass.missed.iter().flat_map(CycleRange::numbers).collect();
        prop_assert_eq!(&missed, &want.missed);
        prop_assert!(pass.missed.len() <= pass.skipped.len() + 1, "compact");
        prop_assert_eq!(pass.skipped.iter().map(|c| c.number).collect::<Vec<_>>(), want.skipped);
        prop_assert_eq!(pass.charge.map(|c| (c.number, c.scheduled_for)), want.charge);
        if let Some(c) = pass.charge {
            prop_assert!(c.scheduled_for <= now);
            prop_assert!(c.scheduled_for >= now.checked_sub(policy.max_lateness).ok_or_else(|| fail(&"cutoff"))?);
        }
        prop_assert_eq!(pass.next_run_at, want.next);
        prop_assert_eq!(pass.finishes, want.next.is_none());

        // Applying the pass, then the charge, lands exactly where `due` said.
        let caught = sub.apply(Command::CatchUp { policy }, now).map_err(|e| fail(&e))?;
        let mut after = caught.subscription;
        if let Some(c) = pass.charge {
            prop_assert_eq!(after.next_cycle(), c.number);
            let order_id = OrderId::parse("o").map_err(|e| fail(&e))?;
            after = after
                .apply(Command::RecordCycle { number: c.number, outcome: CycleOutcome::Created { order_id }, follow_payment: None }, now)
                .map_err(|e| fail(&e))?
                .subscription;
        }
        prop_assert_eq!(after.next_run_at(), pass.next_run_at);
        prop_assert_eq!(after.status() == SubscriptionStatus::Finished, pass.finishes);
    }
}

#[test]
fn a_cycle_order_is_the_template_tagged_with_the_subscription_and_cycle() -> TestResult {
    let sub = monthly("2025-01-31T12:00:00Z")?;
    let placement = sub.order_for(3);
    let tag = placement
        .subscription
        .as_ref()
        .ok_or("no subscription tag")?;
    assert_eq!((tag.id.as_str(), tag.cycle), ("s-1", 3));
    assert_eq!(placement.items, sub.order().items());
    Ok(())
}

#[test]
fn editing_the_order_applies_the_order_rules_and_counts_as_a_change() -> TestResult {
    let sub = monthly("2025-01-31T12:00:00Z")?;
    let now = at("2025-02-01T00:00:00Z");
    let empty = OrderTemplateEdit {
        items: Some(Vec::new()),
        ..OrderTemplateEdit::default()
    };
    assert_eq!(
        sub.apply(Command::EditOrder(empty), now)
            .map(|_| ())
            .map_err(|e| e.code()),
        Err("no-items")
    );
    let mut items = sub.order().items().to_vec();
    items[0].quantity = crate::values::Quantity::new(3)?;
    let edit = OrderTemplateEdit {
        items: Some(items.clone()),
        ..OrderTemplateEdit::default()
    };
    let edited = sub.apply(Command::EditOrder(edit), now)?;
    assert_eq!(edited.events, vec![Event::OrderEdited]);
    assert_eq!(edited.subscription.order().items(), items.as_slice());
    assert_eq!(edited.subscription.version(), sub.version() + 1);
    Ok(())
}

#[test]
fn a_subscription_round_trips_through_json_with_the_api_field_names() -> TestResult {
    let sub = monthly("2025-01-31T12:00:00Z")?;
    let json = serde_json::to_value(&sub)?;
    for key in [
        "id",
        "status",
        "customer",
        "shippingAddress",
        "items",
        "payment",
        "shipping",
        "timezone",
        "startAt",
        "cycleCount",
    ] {
        assert!(json.get(key).is_some(), "missing {key}: {json}");
    }
    let back: Subscription = serde_json::from_value(json)?;
    assert_eq!(back, sub);
    Ok(())
}

// ----- payment follow-up -------------------------------------------------------------------

fn order(id: &str) -> Result<OrderId, Box<dyn std::error::Error>> {
    Ok(OrderId::parse(id)?)
}

/// A monthly subscription whose cycle 1 order `o-1` was created at its start, followed under
/// `policy`.
fn followed(policy: PaymentRetryPolicy) -> Result<Subscription, Box<dyn std::error::Error>> {
    let sub = monthly("2025-01-31T12:00:00Z")?;
    let record = Command::RecordCycle {
        number: 1,
        outcome: CycleOutcome::Created {
            order_id: order("o-1")?,
        },
        follow_payment: Some(policy),
    };
    Ok(sub.apply(record, at("2025-01-31T12:00:05Z"))?.subscription)
}

fn step(
    sub: &Subscription,
    attempt: u32,
    step: PaymentStep,
    now: &str,
) -> Result<Transition, SubscriptionError> {
    sub.apply(
        Command::FollowPayment {
            cycle: 1,
            attempt,
            step,
        },
        at(now),
    )
}

#[test]
fn a_created_cycle_starts_a_payment_check_and_wakes_the_runner_before_the_next_cycle() -> TestResult
{
    let sub = followed(PaymentRetryPolicy::default())?;
    let check = sub.payment_check().cloned();
    assert_eq!(
        check,
        Some(PaymentCheck {
            cycle: 1,
            scheduled_for: at("2025-01-31T12:00:00Z"),
            attempt: 1,
            created_after: 1,
            max_attempts: 5,
            order_id: order("o-1")?,
            check_at: at("2025-01-31T15:00:05Z"),
            last_failure: None,
        })
    );
    assert_eq!(sub.next_run_at(), Some(at("2025-02-28T12:00:00Z")));
    assert_eq!(sub.wake_at(), Some(at("2025-01-31T15:00:05Z")));
    // Without a policy (or with zero attempts) nothing is followed.
    let unfollowed = followed(PaymentRetryPolicy {
        attempts: 0,
        interval: TimeDelta::hours(1),
    })?;
    assert_eq!(unfollowed.payment_check(), None);
    assert_eq!(unfollowed.wake_at(), unfollowed.next_run_at());
    Ok(())
}

#[test]
fn paid_ends_the_check_and_pending_moves_it() -> TestResult {
    let sub = followed(PaymentRetryPolicy::default())?;
    let later = at("2025-01-31T18:00:05Z");
    let pending = step(
        &sub,
        1,
        PaymentStep::Pending { check_at: later },
        "2025-01-31T15:00:05Z",
    )?;
    assert_eq!(pending.subscription.wake_at(), Some(later));
    assert_eq!(pending.subscription.version(), sub.version() + 1);
    let paid = step(
        &pending.subscription,
        1,
        PaymentStep::Settled,
        "2025-01-31T18:00:05Z",
    )?;
    assert_eq!(paid.subscription.payment_check(), None);
    assert_eq!(
        paid.subscription.wake_at(),
        Some(at("2025-02-28T12:00:00Z"))
    );
    assert_eq!(
        paid.events,
        vec![Event::PaymentFollowed {
            cycle: 1,
            attempt: 1,
            step: PaymentStep::Settled
        }]
    );
    Ok(())
}

#[test]
fn failed_payments_are_retried_then_the_cycle_fails_and_the_subscription_pauses() -> TestResult {
    let policy = PaymentRetryPolicy {
        attempts: 3,
        interval: TimeDelta::hours(3),
    };
    let mut sub = followed(policy)?;
    let denied = text("payment denied")?;
    for (attempt, now, next_order) in [
        (1, "2025-01-31T15:00:05Z", "o-7"),
        (2, "2025-01-31T18:00:05Z", "o-9"),
    ] {
        let check_at = at(now)
            .checked_add(policy.interval)
            .ok_or("timestamp overflow")?;
        let t = step(
            &sub,
            attempt,
            PaymentStep::Retried {
                reason: denied.clone(),
                order_id: order(next_order)?,
                check_at,
            },
            now,
        )?;
        assert_eq!(
            t.events[1],
            Event::CycleRecorded(Cycle {
                number: 1,
                scheduled_for: at("2025-01-31T12:00:00Z"),
                status: CycleStatus::Created,
                order_id: Some(order(next_order)?),
                attempts: attempt + 1,
                error: Some(denied.clone()),
            })
        );
        sub = t.subscription;
        let check = sub.payment_check().ok_or("still followed")?;
        assert_eq!((check.attempt, check.check_at), (attempt + 1, check_at));
        assert_eq!(sub.status(), SubscriptionStatus::Active);
    }
    // The step of an attempt that is no longer followed (a racing pass) changes nothing.
    assert_eq!(
        step(&sub, 2, PaymentStep::Settled, "2025-01-31T21:00:05Z"),
        Err(SubscriptionError::PaymentCheckStale {
            cycle: 1,
            attempt: 2
        })
    );
    let reason = text("payment denied 3 times")?;
    let t = step(
        &sub,
        3,
        PaymentStep::GaveUp {
            reason: reason.clone(),
        },
        "2025-01-31T21:00:05Z",
    )?;
    let s = t.subscription;
    assert_eq!(s.status(), SubscriptionStatus::Paused);
    assert_eq!(s.pause_reason(), Some(&reason));
    assert_eq!((s.payment_check(), s.wake_at()), (None, None));
    // The cycle's order stays counted: it was created; its record now says it failed.
    assert_eq!(s.cycle_count(), 1);
    assert!(t.events.contains(&Event::CycleRecorded(Cycle {
        number: 1,
        scheduled_for: at("2025-01-31T12:00:00Z"),
        status: CycleStatus::Failed,
        order_id: Some(order("o-9")?),
        attempts: 3,
        error: Some(reason.clone()),
    })));
    assert!(t.events.contains(&Event::Paused {
        reason: Some(reason)
    }));
    Ok(())
}

#[test]
fn a_finished_subscription_still_follows_its_last_payment_and_a_canceled_one_does_not() -> TestResult
{
    let sub = new(
        Schedule::every(1, Unit::Month)?,
        "2025-01-31T12:00:00Z",
        None,
        Some(1),
    )?;
    let record = Command::RecordCycle {
        number: 1,
        outcome: CycleOutcome::Created {
            order_id: order("o-1")?,
        },
        follow_payment: Some(PaymentRetryPolicy::default()),
    };
    let finished = sub.apply(record, at("2025-01-31T12:00:05Z"))?.subscription;
    assert_eq!(finished.status(), SubscriptionStatus::Finished);
    assert_eq!(finished.wake_at(), Some(at("2025-01-31T15:00:05Z")));
    let gave_up = step(
        &finished,
        1,
        PaymentStep::GaveUp {
            reason: text("payment denied")?,
        },
        "2025-01-31T15:00:05Z",
    )?;
    // Nothing left to pause: it stays finished.
    assert_eq!(gave_up.subscription.status(), SubscriptionStatus::Finished);
    let canceled = followed(PaymentRetryPolicy::default())?
        .apply(Command::Cancel { reason: None }, at("2025-01-31T13:00:00Z"))?
        .subscription;
    assert_eq!((canceled.payment_check(), canceled.wake_at()), (None, None));
    Ok(())
}
