//! Three-valued (Kleene) logic: a match is `Yes`, `No`, or `Unknown` when it depends on input
//! the engine does not have. `Unknown` survives only where it could change the outcome:
//! `No AND Unknown = No`, `Yes OR Unknown = Yes`.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Tri {
    Yes,
    No,
    Unknown,
}

impl Tri {
    pub fn from_bool(b: bool) -> Tri {
        if b {
            Tri::Yes
        } else {
            Tri::No
        }
    }

    pub fn and(self, o: Tri) -> Tri {
        match (self, o) {
            (Tri::No, _) | (_, Tri::No) => Tri::No,
            (Tri::Yes, Tri::Yes) => Tri::Yes,
            _ => Tri::Unknown,
        }
    }

    pub fn or(self, o: Tri) -> Tri {
        match (self, o) {
            (Tri::Yes, _) | (_, Tri::Yes) => Tri::Yes,
            (Tri::No, Tri::No) => Tri::No,
            _ => Tri::Unknown,
        }
    }

    #[allow(clippy::should_implement_trait)]
    pub fn not(self) -> Tri {
        match self {
            Tri::Yes => Tri::No,
            Tri::No => Tri::Yes,
            Tri::Unknown => Tri::Unknown,
        }
    }

    /// OR over an iterator (`No` when empty).
    pub fn any(it: impl IntoIterator<Item = Tri>) -> Tri {
        let mut acc = Tri::No;
        for t in it {
            acc = acc.or(t);
            if acc == Tri::Yes {
                break;
            }
        }
        acc
    }

    /// AND over an iterator (`Yes` when empty).
    pub fn all(it: impl IntoIterator<Item = Tri>) -> Tri {
        let mut acc = Tri::Yes;
        for t in it {
            acc = acc.and(t);
            if acc == Tri::No {
                break;
            }
        }
        acc
    }
}

#[cfg(test)]
mod tests {
    use super::Tri::*;
    use super::*;

    #[test]
    fn kleene_tables() {
        assert_eq!(No.and(Unknown), No);
        assert_eq!(Yes.and(Unknown), Unknown);
        assert_eq!(Yes.or(Unknown), Yes);
        assert_eq!(No.or(Unknown), Unknown);
        assert_eq!(Unknown.not(), Unknown);
        assert_eq!(Tri::any([]), No);
        assert_eq!(Tri::all([]), Yes);
    }
}
