//! Which runs of a sweep one process does: all of them, one index, or one shard of `n`.
//!
//! Shard `i/n` (0-based) takes every `n`-th run starting at `i`: interleaved rather than
//! contiguous, so each shard gets a like share of cheap and expensive points (the axes
//! often grow the cost, e.g. the host count). Without a choice on the command line, a
//! Slurm array task (`SLURM_ARRAY_TASK_ID`) or a Kubernetes Indexed Job pod
//! (`JOB_COMPLETION_INDEX`) runs the index its scheduler gave it.

/// The environment variables read for an index, in order.
pub const INDEX_VARIABLES: [&str; 2] = ["SLURM_ARRAY_TASK_ID", "JOB_COMPLETION_INDEX"];

/// A share of a sweep's runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Selection {
    All,
    Index(u64),
    Shard { i: u64, n: u64 },
}

impl Selection {
    /// Parses `--shard i/n`.
    pub fn parse_shard(text: &str) -> Result<Selection, String> {
        let bad = || format!("`{text}` is not a shard: write `i/n` with 0 <= i < n, e.g. `0/4`");
        let (i, n) = text.split_once('/').ok_or_else(bad)?;
        let i: u64 = i.trim().parse().map_err(|_| bad())?;
        let n: u64 = n.trim().parse().map_err(|_| bad())?;
        if n == 0 || i >= n {
            return Err(bad());
        }
        Ok(Selection::Shard { i, n })
    }

    /// The index a scheduler gave this process, from `get` (the environment).
    pub fn from_env(
        get: impl Fn(&str) -> Option<String>,
    ) -> Option<Result<(Selection, &'static str), String>> {
        INDEX_VARIABLES.iter().find_map(|&var| {
            let v = get(var)?;
            Some(match v.trim().parse::<u64>() {
                Ok(i) => Ok((Selection::Index(i), var)),
                Err(_) => Err(format!("{var}=`{v}` is not an index")),
            })
        })
    }

    /// The run indices of this share, in increasing order; an error names an index past
    /// the end.
    pub fn indices(self, runs: u64) -> Result<Vec<u64>, String> {
        match self {
            Selection::All => Ok((0..runs).collect()),
            Selection::Index(i) if i < runs => Ok(vec![i]),
            Selection::Index(i) => Err(format!(
                "index {i} is past the end: the sweep has {runs} runs (0 to {})",
                runs.saturating_sub(1)
            )),
            Selection::Shard { i, n } => Ok((i..runs).step_by(n as usize).collect()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_interleave_and_cover_every_run_once() {
        let runs = 10;
        let mut seen = vec![0; runs as usize];
        for i in 0..3 {
            for idx in (Selection::Shard { i, n: 3 }).indices(runs).unwrap() {
                seen[idx as usize] += 1;
            }
        }
        assert!(seen.iter().all(|&c| c == 1), "{seen:?}");
        assert_eq!(
            Selection::Shard { i: 1, n: 3 }.indices(runs).unwrap(),
            [1, 4, 7]
        );
        assert!(Selection::Index(10).indices(runs).is_err());
        assert_eq!(
            Selection::parse_shard("2/4"),
            Ok(Selection::Shard { i: 2, n: 4 })
        );
        for bad in ["4/4", "1/0", "x/2", "3"] {
            assert!(Selection::parse_shard(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn slurm_comes_before_kubernetes() {
        let env = |k: &str| match k {
            "SLURM_ARRAY_TASK_ID" => Some("7".to_string()),
            "JOB_COMPLETION_INDEX" => Some("3".to_string()),
            _ => None,
        };
        assert_eq!(
            Selection::from_env(env),
            Some(Ok((Selection::Index(7), "SLURM_ARRAY_TASK_ID")))
        );
        let k8s = |k: &str| (k == "JOB_COMPLETION_INDEX").then(|| "3".to_string());
        assert_eq!(
            Selection::from_env(k8s),
            Some(Ok((Selection::Index(3), "JOB_COMPLETION_INDEX")))
        );
        assert_eq!(Selection::from_env(|_| None), None);
        assert!(matches!(
            Selection::from_env(|_| Some("x".into())),
            Some(Err(_))
        ));
    }
}
