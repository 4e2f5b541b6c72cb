//! A whole scenario: era 1 of the history tour, one simulated day, transcripts
//! off (as in statistical runs). Throughput is reported in engine events.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use relaysim::sim::RunOptions;

fn whole_run(c: &mut Criterion) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/history/01-open-relay.ron");
    let scenario = relaysim::scenario::load(&path).expect("era 1 loads");
    let opts = RunOptions::new(1).transcripts(false);
    let events = relaysim::run(scenario.clone(), opts, None).events();
    let mut group = c.benchmark_group("scenario");
    group.sample_size(10);
    group.throughput(Throughput::Elements(events));
    group.bench_function("era1_one_day_events", |b| b.iter(|| relaysim::run(scenario.clone(), opts, None).events()));
    group.finish();
}

criterion_group! {
    name = benches;
    // No plots: criterion's plotters backend fails here without system fonts.
    config = Criterion::default().without_plots();
    targets = whole_run
}
criterion_main!(benches);
