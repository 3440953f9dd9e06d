//! Tests of the store logic over the in-memory store.
