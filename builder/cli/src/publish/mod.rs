//! Publishing builds to S3 behind CloudFront: the history of published builds, the pure plans, and the executor that carries them out (the key layout is `formroute_core::layout`, shared with the lookup).

pub(crate) mod executor;
pub(crate) mod history;
pub(crate) mod plan;
