//! Tests of the subscription aggregate, its schedules and the due function.
