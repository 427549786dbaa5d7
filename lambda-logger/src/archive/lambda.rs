//! The archiver on AWS Lambda: one SQS event-source batch in, partial batch failures (`ReportBatchItemFailures`) out.

use super::store::Store;
use super::{plan_after, Message, Seen};
use aws_lambda_events::event::sqs::{SqsBatchResponse, SqsEvent};
use std::sync::Mutex;

/// Archives one batch. Returns the messages to retry: poison ones (the redrive policy moves them
/// to the dead-letter queue after `maxReceiveCount` receives) and those of objects that could
/// not be written. Every other message of the batch is done, whatever happened to those.
/// `seen` is what this (warm) instance archived before: copies of those events are dropped.
pub async fn handle(store: &Store, seen: &Mutex<Seen>, event: SqsEvent) -> SqsBatchResponse {
    let messages: Vec<Message> = event
        .records
        .into_iter()
        .map(|r| Message {
            id: r.message_id.unwrap_or_default(),
            body: r.body.unwrap_or_default(),
        })
        .collect();
    // A poisoned lock only means an earlier batch panicked mid-record; the ids are still usable.
    let plan = plan_after(&messages, &seen.lock().unwrap_or_else(|p| p.into_inner()));
    for (id, why) in &plan.poison {
        eprintln!("archiver: message {id} is poison ({why}); it goes back to the queue, then to the dead-letter queue");
    }
    let written = store.put_all(&plan).await;
    seen.lock()
        .unwrap_or_else(|p| p.into_inner())
        .record(&plan, &written);
    let events: usize = plan
        .objects
        .iter()
        .zip(&written)
        .filter(|(_, w)| **w)
        .map(|(o, _)| o.events)
        .sum();
    eprintln!(
        "archiver: {} messages: {} events in {} of {} objects, {} duplicates dropped, {} poison",
        messages.len(),
        events,
        written.iter().filter(|w| **w).count(),
        plan.objects.len(),
        plan.duplicates,
        plan.poison.len()
    );
    let mut response = SqsBatchResponse::default();
    for id in plan.failed_messages(&written) {
        response.add_failure(id);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sqs_event(bodies: &[(&str, &str)]) -> SqsEvent {
        let records: Vec<serde_json::Value> = bodies
            .iter()
            .map(|(id, body)| {
                serde_json::json!({"messageId": id, "receiptHandle": "rh", "body": body,
                    "attributes": {}, "messageAttributes": {}, "md5OfBody": "x",
                    "eventSource": "aws:sqs", "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:q",
                    "awsRegion": "us-east-1"})
            })
            .collect();
        serde_json::from_value(serde_json::json!({ "Records": records })).expect("sqs event")
    }

    #[tokio::test]
    async fn a_poison_message_is_reported_and_the_rest_is_archived() {
        let dir = std::env::temp_dir().join(format!("archiver-unit-{}", std::process::id()));
        let store = Store::Dir(dir.clone());
        let good = r#"{"id":"event0001","type":"load","ts":1,"brand":"acme","page":"https://a.example/","pv":"pv00000001","ms":3,"received":1785000000000,"request_id":"r","ua":"","bot":true}"#;
        let seen = Mutex::new(Seen::default());
        let resp = handle(
            &store,
            &seen,
            sqs_event(&[("m1", good), ("m2", "{oops"), ("m3", good)]),
        )
        .await;
        let failed: Vec<&str> = resp
            .batch_item_failures
            .iter()
            .map(|f| f.item_identifier.as_str())
            .collect();
        assert_eq!(failed, vec!["m2"]);
        let part = dir.join("events/brand=acme/dt=2026-07-25/hour=17");
        let files: Vec<_> = std::fs::read_dir(&part).expect("partition").collect();
        assert_eq!(files.len(), 1);
        // The same event in a later batch, received an hour later: not archived again.
        let retried = good.replace("1785000000000", "1785003600000");
        let resp = handle(&store, &seen, sqs_event(&[("m4", &retried)])).await;
        assert!(resp.batch_item_failures.is_empty());
        assert!(!dir.join("events/brand=acme/dt=2026-07-25/hour=18").exists());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[tokio::test]
    async fn an_unwritable_store_fails_exactly_the_messages_of_that_object() {
        // A file where the folder should be: every write fails.
        let blocker = std::env::temp_dir().join(format!("archiver-blocked-{}", std::process::id()));
        std::fs::write(&blocker, b"x").expect("blocker");
        let store = Store::Dir(blocker.clone());
        let good = r#"{"id":"event0001","type":"load","ts":1,"brand":"acme","page":"https://a.example/","pv":"pv00000001","ms":3,"received":1785000000000,"request_id":"r","ua":"","bot":true}"#;
        let seen = Mutex::new(Seen::default());
        let resp = handle(&store, &seen, sqs_event(&[("m1", good), ("m2", "[]")])).await;
        let mut failed: Vec<&str> = resp
            .batch_item_failures
            .iter()
            .map(|f| f.item_identifier.as_str())
            .collect();
        failed.sort_unstable();
        assert_eq!(failed, vec!["m1", "m2"]);
        let _ = std::fs::remove_file(&blocker);
    }
}
