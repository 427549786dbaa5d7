//! Criterion benchmark of the archiver's batch planning: parse, dedupe, partition and gzip SQS messages.
//!
//! Run: `cargo bench -p lambda-logger --bench archive`. Throughput is reported in messages per
//! second for a batch of 1,000 and one of 10,000 logged events (the largest SQS event-source batch
//! is 10,000), spread over 3 brands and 4 hours, with 1 % redelivered duplicates; S3 writes are not
//! included (they are one PUT per partition, measured by the archiver test against moto).

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use lambda_logger::archive::{plan, Message};
use std::hint::black_box;

fn batch(n: usize) -> Vec<Message> {
    let brands = ["acme", "solis", "lakeside"];
    let hour_ms = 3_600_000u64;
    let start = 1_796_000_000_000u64;
    (0..n)
        .map(|i| {
            // Every hundredth message is a redelivery of the previous event.
            let e = if i % 100 == 99 { i - 1 } else { i };
            let brand = brands[e % brands.len()];
            let received = start + (e as u64 * 4 * hour_ms) / n as u64;
            let body = format!(
                concat!(
                    r#"{{"id":"ev_{e:012}","type":"resolve","ts":{ts},"brand":"{brand}","#,
                    r#""page":"https://www.{brand}.example/quote","pv":"pv_{pv:010}","zip":"{zip:05}","#,
                    r#""product":"auto","language":"en","ok":true,"state":"NY","form_type":"agent","#,
                    r#""language_used":"en","ms":0.8,"received":{received},"request_id":"req-{e}","#,
                    r#""country":"US","ua":"Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0","#,
                    r#""ip_prefix":"203.0.113.0/24","bot":false}}"#
                ),
                e = e,
                ts = received - 40,
                brand = brand,
                pv = e / 3,
                zip = (e * 7919) % 100_000,
                received = received,
            );
            Message { id: format!("m-{i}"), body }
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("archive_plan");
    group.sample_size(10);
    for n in [1_000usize, 10_000] {
        let messages = batch(n);
        group.throughput(Throughput::Elements(n as u64));
        group.bench_function(format!("{n}_messages"), |b| {
            b.iter(|| black_box(plan(black_box(&messages))))
        });
    }
    group.finish();
}

// `criterion_group!` writes an undocumented `pub fn`; a bench is no API, so its docs are not asked for.
#[allow(missing_docs)]
mod group {
    use super::*;
    criterion_group!(benches, bench);
}
criterion_main!(group::benches);
