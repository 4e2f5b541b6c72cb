//! The hold model: a queue kept at N pending events; each operation takes the
//! earliest out and schedules a new one a random gap later. Reports events
//! per second at N = 1e3, 1e5 and 1e6, for the engine's radix heap and for
//! the binary heap it replaced, so the choice stays measured.
//!
//! `cargo bench --bench engine` (add `-- radix` for the engine alone).

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use relaysim::sim::engine::EventQueue;
use relaysim::sim::rng;

#[path = "reference/binary_heap.rs"]
mod binary_heap;

/// Exponential gaps with mean N ms, precomputed so the RNG is not measured.
fn gaps(n: usize) -> Vec<u64> {
    let mut s = rng::stream(42, "bench", "hold");
    (0..65_536).map(|_| rng::exp_gap_ms(&mut s, n as f64)).collect()
}

const SIZES: [usize; 3] = [1_000, 100_000, 1_000_000];

fn radix(c: &mut Criterion) {
    let mut group = c.benchmark_group("engine_hold/radix");
    group.throughput(Throughput::Elements(1));
    for n in SIZES {
        let gaps = gaps(n);
        let mut q: EventQueue<u64> = EventQueue::with_capacity(n);
        for (i, g) in gaps.iter().cycle().take(n).enumerate() {
            q.schedule(*g, i as u64).unwrap();
        }
        let mut k = 0usize;
        group.bench_function(format!("pending_{n}"), |b| {
            b.iter(|| {
                let (t, p) = q.pop().unwrap();
                k = (k + 1) & 65_535;
                q.schedule(t + gaps[k], black_box(p)).unwrap();
            })
        });
    }
    group.finish();
}

fn reference_binary_heap(c: &mut Criterion) {
    let mut group = c.benchmark_group("engine_hold/binary_heap");
    group.throughput(Throughput::Elements(1));
    for n in SIZES {
        let gaps = gaps(n);
        let mut q: binary_heap::EventQueue<u64> = binary_heap::EventQueue::with_capacity(n);
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

criterion_group! {
    name = benches;
    // No plots: criterion's plotters backend fails here without system fonts.
    config = Criterion::default().without_plots();
    targets = radix, reference_binary_heap
}
criterion_main!(benches);
