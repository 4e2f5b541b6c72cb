//! The hold model: a queue kept at N pending events; each operation takes the
//! earliest out and schedules a new one a random gap later. Reports events
//! per second at N = 1e3 and 1e5 (and 1e6 when `RELAYSIM_BENCH_1E6` is set).

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use relaysim::sim::engine::EventQueue;
use relaysim::sim::rng;

fn hold(c: &mut Criterion) {
    let mut sizes = vec![1_000usize, 100_000];
    if std::env::var_os("RELAYSIM_BENCH_1E6").is_some() {
        sizes.push(1_000_000);
    }
    let mut group = c.benchmark_group("engine_hold");
    group.throughput(Throughput::Elements(1));
    for n in sizes {
        // Exponential gaps with mean N ms, precomputed so the RNG is not measured.
        let mut s = rng::stream(42, "bench", "hold");
        let gaps: Vec<u64> = (0..65_536).map(|_| rng::exp_gap_ms(&mut s, n as f64)).collect();
        let mut q: EventQueue<u64> = EventQueue::with_capacity(n);
        for (i, g) in gaps.iter().cycle().take(n).enumerate() {
            q.schedule(*g, i as u64).unwrap();
        }
        let mut k = 0usize;
        group.bench_function(format!("pending_{n}"), |b| {
            b.iter(|| {
                let (t, p) = q.pop().unwrap();
                k = (k + 1) & 65_535;
                black_box(q.schedule(t + gaps[k], p).unwrap());
            })
        });
    }
    group.finish();
}

criterion_group!(benches, hold);
criterion_main!(benches);
