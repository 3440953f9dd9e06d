//! Benchmarks of the domain: applying commands to a 50-item order and computing the next 100
//! cycles of a subscription. Run with `cargo bench -p orderflow-domain`.

use criterion::{Criterion, criterion_group, criterion_main};

fn money(c: &mut Criterion) {
    use orderflow_domain::values::Money;
    c.bench_function("money/sum-1000", |b| {
        b.iter(|| Money::sum((0..1000).map(Money::from_minor)))
    });
}

criterion_group!(benches, money);
criterion_main!(benches);
