//! `builds/history.json`: the builds published under a prefix, oldest first, for `--keep` and rollback.

use serde::{Deserialize, Serialize};

/// `builds/history.json`: the build ids published under a prefix, oldest first, each once.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct History {
    /// Build ids, oldest first; the newest publish is last.
    pub(crate) builds: Vec<String>,
}

impl History {
    /// Parses the history file.
    pub(crate) fn from_json(bytes: &[u8]) -> Result<History, serde_json::Error> {
        serde_json::from_slice(bytes)
    }

    /// Serialises as written (pretty JSON, final newline; deterministic).
    pub(crate) fn to_json(&self) -> Vec<u8> {
        // A struct of strings always serialises.
        let mut s = serde_json::to_vec_pretty(self).unwrap_or_default();
        s.push(b'\n');
        s
    }

    /// This history after publishing `build`: moved (or added) to the end.
    pub(crate) fn with_published(&self, build: &str) -> History {
        let mut builds: Vec<String> = self
            .builds
            .iter()
            .filter(|b| *b != build)
            .cloned()
            .collect();
        builds.push(build.to_string());
        History { builds }
    }

    /// The last `keep` builds (at least one).
    pub(crate) fn kept(&self, keep: usize) -> &[String] {
        let n = self.builds.len();
        &self.builds[n.saturating_sub(keep.max(1))..]
    }
}
