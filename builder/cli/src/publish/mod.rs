//! Publishing builds to S3 behind CloudFront: the key layout, the history of published builds, the pure plans, and the executor that carries them out.

pub(crate) mod executor;
pub(crate) mod history;
pub(crate) mod layout;
pub(crate) mod plan;
