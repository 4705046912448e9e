//! Mergeable aggregates: every grouping a report shows, as polars queries over the findings
//! frame, in a form that shards can compute separately and combine exactly.
//!
//! Why this shape: a partial aggregate is grouped one level finer than any report needs, by
//! `(caller_class, <dimension keys>, fix)`, and holds only quantities whose merge is exact:
//! counts (sum), first/last seen (min/max), the distinct principals (set union) and the
//! lexicographically smallest [`SAMPLE_IDS`] event ids (union, sort, cut: the same K ids
//! whatever the sharding). The caller class stays a key so the weekly report can split own
//! workloads from noise after merging; the fix stays a key so the most common fix of a
//! group is an exact count too. [`Aggregates::groups`] folds the finer rows into what a report
//! shows.

use super::err::Result;
use super::frame::col_name as c;
use crate::findings::CallerClass;
use polars::prelude::*;
use std::collections::BTreeMap;

/// How many sample event ids a group keeps.
pub const SAMPLE_IDS: usize = 5;

/// What a group is keyed by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Dimension {
    RootCause,
    Principal,
    /// The role behind assumed-role sessions (other principals as themselves).
    Role,
    Bucket,
    Action,
    SourceIp,
    VpcEndpoint,
    /// Caller account → bucket owner account.
    Account,
    Day,
    /// Day × root cause: the stacked chart.
    DayCause,
    CallerClass,
}

impl Dimension {
    pub const ALL: [Dimension; 11] = [
        Dimension::RootCause,
        Dimension::Principal,
        Dimension::Role,
        Dimension::Bucket,
        Dimension::Action,
        Dimension::SourceIp,
        Dimension::VpcEndpoint,
        Dimension::Account,
        Dimension::Day,
        Dimension::DayCause,
        Dimension::CallerClass,
    ];

    /// The frame columns this dimension groups by.
    pub fn keys(self) -> &'static [&'static str] {
        match self {
            Dimension::RootCause => &[c::ROOT_CAUSE],
            Dimension::Principal => &[c::PRINCIPAL_ARN],
            Dimension::Role => &[c::ROLE_OR_PRINCIPAL],
            Dimension::Bucket => &[c::BUCKET],
            Dimension::Action => &[c::ACTION],
            Dimension::SourceIp => &[c::SOURCE_IP],
            Dimension::VpcEndpoint => &[c::VPC_ENDPOINT_ID],
            Dimension::Account => &[c::PRINCIPAL_ACCOUNT, c::RESOURCE_ACCOUNT],
            Dimension::Day => &[c::DAY],
            Dimension::DayCause => &[c::DAY, c::ROOT_CAUSE],
            Dimension::CallerClass => &[c::CALLER_CLASS],
        }
    }

    /// A heading for the group's table.
    pub fn title(self) -> &'static str {
        match self {
            Dimension::RootCause => "root cause",
            Dimension::Principal => "principal",
            Dimension::Role => "role (sessions folded)",
            Dimension::Bucket => "bucket",
            Dimension::Action => "action",
            Dimension::SourceIp => "source IP",
            Dimension::VpcEndpoint => "VPC endpoint",
            Dimension::Account => "caller account → bucket account",
            Dimension::Day => "day",
            Dimension::DayCause => "day × root cause",
            Dimension::CallerClass => "caller class",
        }
    }

    /// The partial's key columns: the caller class first, then the dimension's own keys.
    fn partial_keys(self) -> Vec<&'static str> {
        let mut keys = vec![c::CALLER_CLASS];
        keys.extend(self.keys().iter().filter(|k| **k != c::CALLER_CLASS));
        keys
    }
}

/// Output column names of partials and groups.
pub mod out {
    pub const FIX: &str = "fix";
    pub const COUNT: &str = "count";
    pub const FIRST_SEEN: &str = "first_seen";
    pub const LAST_SEEN: &str = "last_seen";
    pub const PRINCIPALS: &str = "principals";
    pub const SAMPLE_IDS: &str = "sample_ids";
    pub const DISTINCT_PRINCIPALS: &str = "distinct_principals";
    pub const TOP_FIX: &str = "top_fix";
    pub const TOP_FIX_COUNT: &str = "top_fix_count";
}

fn explode() -> ExplodeOptions {
    ExplodeOptions {
        empty_as_null: false,
        keep_nulls: false,
    }
}

/// Rows whose caller class is one of `classes`.
pub fn class_filter(classes: &[CallerClass]) -> Expr {
    let mut pred = lit(false);
    for class in classes {
        pred = pred.or(col(c::CALLER_CLASS).eq(lit(class.as_str())));
    }
    pred
}

/// A partial's rows of the given caller classes (all rows when `None`).
fn of_classes(partial: &DataFrame, classes: Option<&[CallerClass]>) -> LazyFrame {
    let lf = partial.clone().lazy();
    match classes {
        Some(classes) => lf.filter(class_filter(classes)),
        None => lf,
    }
}

/// How groups are ranked: by count (descending), then by key (nulls last).
fn rank_exprs(keys: &[&str]) -> Vec<Expr> {
    std::iter::once(col(out::COUNT))
        .chain(key_exprs(keys))
        .collect()
}

fn rank_order(keys: &[&str]) -> SortMultipleOptions {
    SortMultipleOptions::default()
        .with_order_descending_multi(std::iter::once(true).chain(keys.iter().map(|_| false)))
        .with_nulls_last(true)
}

/// Queries run together (one [`collect_all`]), each answer read back through the [`Slot`]
/// its `push` returned, never by position: adding a query to a report cannot hand another
/// query's answer to the wrong section.
#[derive(Default)]
pub struct Queries {
    plans: Vec<LazyFrame>,
}

/// Where one query's answer will be (see [`Queries`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Slot(usize);

impl Queries {
    pub fn push(&mut self, query: LazyFrame) -> Slot {
        self.plans.push(query);
        Slot(self.plans.len() - 1)
    }

    pub fn push_all(&mut self, queries: impl IntoIterator<Item = LazyFrame>) -> Vec<Slot> {
        queries.into_iter().map(|q| self.push(q)).collect()
    }

    /// Runs every query pushed, as one plan.
    pub fn run(self) -> Result<Answers> {
        Ok(Answers(
            collect_all(self.plans)?.into_iter().map(Some).collect(),
        ))
    }
}

/// The answers of a [`Queries`] run, each taken once by its slot.
pub struct Answers(Vec<Option<DataFrame>>);

impl Answers {
    pub fn take(&mut self, slot: Slot) -> Result<DataFrame> {
        self.0
            .get_mut(slot.0)
            .and_then(Option::take)
            .ok_or_else(|| {
                PolarsError::NoData("a report query's answer (taken twice?)".into()).into()
            })
    }

    pub fn take_all(&mut self, slots: &[Slot]) -> Result<Vec<DataFrame>> {
        slots.iter().map(|&s| self.take(s)).collect()
    }
}

/// Runs several queries as one plan. polars then executes them together, in parallel, instead
/// of one thread-pool round trip per query: the weekly report is some thirty small queries,
/// and run one by one they cost more than the report's rendering and most of the scan's
/// margin (measured: ~0.12 s for 3,337 findings).
pub fn collect_all(queries: Vec<LazyFrame>) -> Result<Vec<DataFrame>> {
    let Some(first) = queries.first() else {
        return Ok(Vec::new());
    };
    let opt = first.get_current_optimizations();
    let plans = queries.into_iter().map(|q| q.logical_plan).collect();
    Ok(LazyFrame::collect_all_with_engine(
        plans,
        Engine::Auto,
        opt,
    )?)
}

fn key_exprs(keys: &[&str]) -> Vec<Expr> {
    keys.iter().map(|k| col(*k)).collect()
}

fn sort_strings() -> SortOptions {
    SortOptions::default().with_nulls_last(true)
}

/// The aggregations that combine partial rows (of the same keys) exactly.
fn merge_aggs() -> [Expr; 5] {
    [
        col(out::COUNT).sum().alias(out::COUNT),
        col(out::FIRST_SEEN).min().alias(out::FIRST_SEEN),
        col(out::LAST_SEEN).max().alias(out::LAST_SEEN),
        col(out::PRINCIPALS)
            .explode(explode())
            .unique()
            .sort(sort_strings())
            .alias(out::PRINCIPALS),
        col(out::SAMPLE_IDS)
            .explode(explode())
            .unique()
            .sort(sort_strings())
            .head(Some(SAMPLE_IDS))
            .alias(out::SAMPLE_IDS),
    ]
}

/// Partial aggregates of every [`Dimension`], mergeable across shards.
#[derive(Debug, Clone)]
pub struct Aggregates {
    partials: BTreeMap<Dimension, DataFrame>,
    /// When the partials' `fix` is a number standing for a remediation text (see
    /// [`FixTexts`]): the numbers and their texts.
    fix_texts: Option<DataFrame>,
}

/// Remediation texts as numbers, for partials folded over many chunks. A remediation is a
/// few hundred bytes and often names the object, so nearly every finding has its own; as a
/// key of every dimension's partial it was most of the partials' memory. Numbered once here,
/// the partials key on a `u32` and merge the same way (equal texts, equal numbers); the texts
/// come back only for the groups a report shows ([`Aggregates::groups_query`]).
#[derive(Debug, Default, Clone)]
pub struct FixTexts {
    numbers: std::collections::HashMap<String, u32>,
    texts: Vec<String>,
}

impl FixTexts {
    /// `frame` with its remediation column replaced by the texts' numbers (nulls stay null).
    pub fn number(&mut self, mut frame: DataFrame) -> Result<DataFrame> {
        let numbers: UInt32Chunked = frame
            .column(c::REMEDIATION)?
            .str()?
            .iter()
            .map(|fix| {
                fix.map(|text| match self.numbers.get(text) {
                    Some(&n) => n,
                    None => {
                        let n = self.texts.len() as u32;
                        self.texts.push(text.to_string());
                        self.numbers.insert(text.to_string(), n);
                        n
                    }
                })
            })
            .collect();
        frame.with_column(numbers.with_name(c::REMEDIATION.into()).into_column())?;
        Ok(frame)
    }

    /// The numbers in the order of their texts (`ranks[n]`: where text `n` sorts), and the
    /// sorted texts as a frame of `fix` (that rank) and `fix_text`.
    fn into_ranks(self) -> Result<(Vec<u32>, DataFrame)> {
        let mut order: Vec<u32> = (0..self.texts.len() as u32).collect();
        order.sort_by(|&a, &b| self.texts[a as usize].cmp(&self.texts[b as usize]));
        let mut ranks = vec![0; order.len()];
        for (rank, &n) in order.iter().enumerate() {
            ranks[n as usize] = rank as u32;
        }
        let mut texts: Vec<Option<String>> = self.texts.into_iter().map(Some).collect();
        let sorted: Vec<String> = order
            .iter()
            .map(|&n| texts[n as usize].take().unwrap_or_default())
            .collect();
        let frame = DataFrame::new_infer_height(vec![
            Column::new(
                out::FIX.into(),
                (0..sorted.len() as u32).collect::<Vec<_>>(),
            ),
            Column::new(FIX_TEXT.into(), sorted),
        ])?;
        Ok((ranks, frame))
    }
}

/// The text column of a [`FixTexts`] frame.
const FIX_TEXT: &str = "fix_text";

impl Aggregates {
    /// Aggregates one findings frame (see [`super::frame::findings_frame`]).
    pub fn from_frame(frame: &DataFrame) -> Result<Aggregates> {
        Aggregates::from_frame_for(frame, &Dimension::ALL)
    }

    /// Aggregates only the given dimensions (the others stay absent: `groups` of them is
    /// empty).
    pub fn from_frame_for(frame: &DataFrame, dims: &[Dimension]) -> Result<Aggregates> {
        let results = collect_all(Aggregates::partial_queries(frame.clone().lazy(), dims))?;
        Aggregates::from_partials(dims, results)
    }

    /// The queries behind [`Aggregates::from_frame_for`], not yet run, so that a report can
    /// run them in one batch with its other queries ([`collect_all`]).
    pub fn partial_queries(frame: LazyFrame, dims: &[Dimension]) -> Vec<LazyFrame> {
        dims.iter()
            .map(|&dim| {
                let mut keys = dim.partial_keys();
                keys.push(c::REMEDIATION);
                frame
                    .clone()
                    .group_by(key_exprs(&keys))
                    .agg([
                        len().cast(DataType::UInt64).alias(out::COUNT),
                        col(c::TS).min().alias(out::FIRST_SEEN),
                        col(c::TS).max().alias(out::LAST_SEEN),
                        // Nulls (anonymous callers without an ARN) stay in the list as one
                        // element, so that no list is empty: polars' group-wise list
                        // operations are only exercised on non-empty groups.
                        col(c::PRINCIPAL_ARN)
                            .unique()
                            .sort(sort_strings())
                            .alias(out::PRINCIPALS),
                        col(c::EVENT_ID)
                            .unique()
                            .sort(sort_strings())
                            .head(Some(SAMPLE_IDS))
                            .alias(out::SAMPLE_IDS),
                    ])
                    .rename([c::REMEDIATION], [out::FIX], true)
            })
            .collect()
    }

    /// Aggregates from the results of [`Aggregates::partial_queries`] over the same `dims`,
    /// in the same order.
    pub fn from_partials(dims: &[Dimension], results: Vec<DataFrame>) -> Result<Aggregates> {
        if results.len() != dims.len() {
            return Err(PolarsError::NoData("a partial aggregate".into()).into());
        }
        let partials = dims.iter().copied().zip(results).collect();
        Ok(Aggregates {
            partials,
            fix_texts: None,
        })
    }

    /// Says that the partials' `fix` holds the numbers `texts` gave ([`FixTexts::number`]):
    /// they are renumbered in the texts' order, so that ties between fixes break as they do
    /// between texts, and the groups a report reads carry the texts again.
    pub fn with_fix_texts(mut self, texts: FixTexts) -> Result<Aggregates> {
        let (ranks, frame) = texts.into_ranks()?;
        for partial in self.partials.values_mut() {
            let renumbered: UInt32Chunked = partial
                .column(out::FIX)?
                .u32()?
                .iter()
                .map(|n| n.and_then(|n| ranks.get(n as usize).copied()))
                .collect();
            partial.with_column(renumbered.with_name(out::FIX.into()).into_column())?;
        }
        self.fix_texts = Some(frame);
        Ok(self)
    }

    /// Combines two partial aggregates as if their findings had been aggregated together.
    /// The dimensions' merges run as one batch ([`collect_all`]).
    pub fn merge(self, other: Aggregates) -> Result<Aggregates> {
        let mut other = other.partials;
        let mut partials = BTreeMap::new();
        let mut dims = Vec::new();
        let mut queries = Vec::new();
        for (dim, a) in self.partials {
            let Some(b) = other.remove(&dim) else {
                partials.insert(dim, a);
                continue;
            };
            let mut keys = dim.partial_keys();
            keys.push(out::FIX);
            dims.push(dim);
            queries.push(
                concat([a.lazy(), b.lazy()], UnionArgs::default())?
                    .group_by(key_exprs(&keys))
                    .agg(merge_aggs()),
            );
        }
        partials.extend(dims.into_iter().zip(collect_all(queries)?));
        partials.extend(other);
        Ok(Aggregates {
            partials,
            fix_texts: self.fix_texts,
        })
    }

    /// The groups of `dim` among findings whose caller class is in `classes` (all classes
    /// when `None`), sorted by count (descending) then key, at most `top` rows. Columns: the
    /// dimension's keys, `count`, `distinct_principals`, `first_seen`, `last_seen`,
    /// `sample_ids`, `top_fix` (the most common non-null remediation), `top_fix_count`.
    pub fn groups(
        &self,
        dim: Dimension,
        classes: Option<&[CallerClass]>,
        top: Option<usize>,
    ) -> Result<DataFrame> {
        Ok(self.groups_query(dim, classes, top).collect()?)
    }

    /// [`Aggregates::groups`] as a query not yet run, so that a report can run all of its
    /// queries at once ([`collect_all`]).
    pub fn groups_query(
        &self,
        dim: Dimension,
        classes: Option<&[CallerClass]>,
        top: Option<usize>,
    ) -> LazyFrame {
        let Some(partial) = self.partials.get(&dim) else {
            return DataFrame::empty().lazy();
        };
        let mut lf = of_classes(partial, classes);
        let keys = dim.keys();
        if let Some(top) = top {
            // Narrow to the top groups before the list work (distinct principals, sample
            // ids): a dimension such as the source IP has a group per event, and polars'
            // group-wise list operations cost about 5 µs a group. The ranking is the final
            // sort's (count, then keys), so the groups kept are exactly the ones shown.
            let top_keys = lf
                .clone()
                .group_by(key_exprs(keys))
                .agg([col(out::COUNT).sum().alias(out::COUNT)])
                .sort_by_exprs(rank_exprs(keys), rank_order(keys))
                .limit(top as IdxSize)
                .select(key_exprs(keys));
            let mut only_top = JoinArgs::new(JoinType::Inner);
            only_top.nulls_equal = true;
            lf = lf.join(top_keys, key_exprs(keys), key_exprs(keys), only_top);
        }

        let mut with_fix: Vec<&str> = keys.to_vec();
        with_fix.push(out::FIX);
        let fix_order = SortMultipleOptions::default()
            .with_order_descending_multi([false, true, false])
            .with_nulls_last(true);
        // The most common fix of each group, from the counts per (keys, fix) alone: the
        // lists need not be merged per fix (about as many rows as findings when every
        // remediation names its object).
        let top_fix = lf
            .clone()
            .group_by(key_exprs(&with_fix))
            .agg([col(out::COUNT).sum().alias(out::COUNT)])
            .group_by(key_exprs(keys))
            .agg([
                // Known fixes first, then by count, then by text; null only when the
                // group has no fix at all. (Filtering nulls out instead would leave
                // empty groups, which polars' group-wise sort trips on.)
                col(out::FIX)
                    .sort_by(
                        [col(out::FIX).is_null(), col(out::COUNT), col(out::FIX)],
                        fix_order,
                    )
                    .first()
                    .alias(out::TOP_FIX),
                when(col(out::FIX).is_not_null())
                    .then(col(out::COUNT))
                    .otherwise(lit(0u64))
                    .max()
                    .alias(out::TOP_FIX_COUNT),
            ]);
        let mut same_keys = JoinArgs::new(JoinType::Inner);
        same_keys.nulls_equal = true;
        let mut grouped = lf
            .group_by(key_exprs(keys))
            .agg([
                col(out::COUNT).sum().alias(out::COUNT),
                // Distinct non-null principals: n_unique counts null as a value.
                (col(out::PRINCIPALS)
                    .explode(explode())
                    .n_unique()
                    .cast(DataType::UInt64)
                    - col(out::PRINCIPALS)
                        .explode(explode())
                        .null_count()
                        .gt(lit(0))
                        .cast(DataType::UInt64))
                .alias(out::DISTINCT_PRINCIPALS),
                col(out::FIRST_SEEN).min().alias(out::FIRST_SEEN),
                col(out::LAST_SEEN).max().alias(out::LAST_SEEN),
                col(out::SAMPLE_IDS)
                    .explode(explode())
                    .unique()
                    .sort(sort_strings())
                    .head(Some(SAMPLE_IDS))
                    .alias(out::SAMPLE_IDS),
            ])
            .join(top_fix, key_exprs(keys), key_exprs(keys), same_keys)
            .sort_by_exprs(rank_exprs(keys), rank_order(keys));
        if let Some(top) = top {
            grouped = grouped.limit(top as IdxSize);
        }
        if let Some(texts) = &self.fix_texts {
            // The top fix is a number (numbered in text order, so the tie-break above is
            // the texts'): its text, for the rows shown only.
            let mut columns = key_exprs(keys);
            columns.extend(
                [
                    out::COUNT,
                    out::DISTINCT_PRINCIPALS,
                    out::FIRST_SEEN,
                    out::LAST_SEEN,
                    out::SAMPLE_IDS,
                ]
                .map(col),
            );
            columns.extend([col(FIX_TEXT).alias(out::TOP_FIX), col(out::TOP_FIX_COUNT)]);
            grouped = grouped
                .join(
                    texts.clone().lazy(),
                    [col(out::TOP_FIX)],
                    [col(out::FIX)],
                    JoinArgs::new(JoinType::Left),
                )
                .select(columns)
                .sort_by_exprs(rank_exprs(keys), rank_order(keys));
        }
        grouped
    }

    /// The keys and `count` of every group of `dim` (classes as in [`Aggregates::groups`]),
    /// ranked the same way: what a comparison between periods needs, without the list work.
    pub fn counts_query(&self, dim: Dimension, classes: Option<&[CallerClass]>) -> LazyFrame {
        let Some(partial) = self.partials.get(&dim) else {
            return DataFrame::empty().lazy();
        };
        let keys = dim.keys();
        of_classes(partial, classes)
            .group_by(key_exprs(keys))
            .agg([col(out::COUNT).sum().alias(out::COUNT)])
            .sort_by_exprs(rank_exprs(keys), rank_order(keys))
    }

    /// The partial frame of one dimension (for shards that ship partials elsewhere).
    pub fn partial(&self, dim: Dimension) -> Option<&DataFrame> {
        self.partials.get(&dim)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::{Finding, RootCause};
    use crate::report::frame::findings_frame;

    fn finding(
        id: &str,
        time: &str,
        principal: &str,
        cause: RootCause,
        class: CallerClass,
    ) -> Finding {
        Finding {
            event_id: id.into(),
            event_time: Some(time.into()),
            principal_arn: Some(principal.into()),
            bucket: Some("b1".into()),
            root_cause: cause,
            caller_class: class,
            remediation: Some(format!("fix for {}", cause.as_str())),
            ..Default::default()
        }
    }

    fn corpus() -> Vec<Finding> {
        let mut v = Vec::new();
        for i in 0..30 {
            let cause = if i % 3 == 0 {
                RootCause::Scp
            } else {
                RootCause::MissingAllow
            };
            let class = if i % 5 == 0 {
                CallerClass::Anonymous
            } else {
                CallerClass::SameAccount
            };
            v.push(finding(
                &format!("id-{i:02}"),
                &format!("2026-11-{:02}T10:00:{:02}Z", 10 + i % 4, i),
                &format!("arn:aws:iam::1:user/u{}", i % 7),
                cause,
                class,
            ));
        }
        v
    }

    /// Anonymous callers (no ARN) and findings without a fix: groups whose lists hold only
    /// nulls must count 0 principals and no fix, and merge like the others.
    #[test]
    fn null_principals_and_fixes_count_as_none() {
        let mut v = corpus();
        for f in v
            .iter_mut()
            .filter(|f| f.caller_class == CallerClass::Anonymous)
        {
            f.principal_arn = None;
            f.remediation = None;
        }
        let whole = Aggregates::from_frame(&findings_frame(&v).unwrap()).unwrap();
        let g = whole.groups(Dimension::CallerClass, None, None).unwrap();
        let class = g.column(c::CALLER_CLASS).unwrap().str().unwrap();
        let anon = (0..g.height())
            .find(|i| class.get(*i) == Some("anonymous"))
            .unwrap();
        assert_eq!(
            g.column(out::DISTINCT_PRINCIPALS)
                .unwrap()
                .u64()
                .unwrap()
                .get(anon),
            Some(0)
        );
        assert_eq!(
            g.column(out::TOP_FIX).unwrap().str().unwrap().get(anon),
            None
        );
        assert_eq!(
            g.column(out::COUNT).unwrap().u64().unwrap().get(anon),
            Some(6)
        );
        let (a, b) = v.split_at(13);
        let shard = |f: &[Finding]| Aggregates::from_frame(&findings_frame(f).unwrap()).unwrap();
        let merged = shard(b).merge(shard(a)).unwrap();
        for dim in Dimension::ALL {
            assert_eq!(
                rows(&whole.groups(dim, None, None).unwrap()),
                rows(&merged.groups(dim, None, None).unwrap()),
                "{dim:?}"
            );
        }
    }

    fn rows(df: &DataFrame) -> Vec<String> {
        // A canonical text form of every row, to compare frames regardless of row order.
        let mut out = Vec::new();
        for i in 0..df.height() {
            let row = df.get_row(i).unwrap();
            out.push(format!("{:?}", row.0));
        }
        out.sort();
        out
    }

    #[test]
    fn groups_count_principals_times_samples_and_top_fix() {
        let df = findings_frame(&corpus()).unwrap();
        let agg = Aggregates::from_frame(&df).unwrap();
        let g = agg.groups(Dimension::RootCause, None, None).unwrap();
        assert_eq!(g.height(), 2);
        let cause = g.column(c::ROOT_CAUSE).unwrap().str().unwrap();
        let count = g.column(out::COUNT).unwrap().u64().unwrap();
        // 20 missing_allow (i % 3 != 0), 10 scp, sorted by count.
        assert_eq!(cause.get(0), Some("missing_allow"));
        assert_eq!(count.get(0), Some(20));
        assert_eq!(count.get(1), Some(10));
        let fix = g.column(out::TOP_FIX).unwrap().str().unwrap();
        assert_eq!(fix.get(1), Some("fix for scp"));
        let samples = g.column(out::SAMPLE_IDS).unwrap().list().unwrap();
        let first = samples.get_as_series(1).unwrap();
        let ids: Vec<_> = first.str().unwrap().iter().flatten().collect();
        assert_eq!(ids, ["id-00", "id-03", "id-06", "id-09", "id-12"]);
        // scp rows are i = 0,3,...,27: principals u0..u6 of i % 7 for those i.
        let distinct = g.column(out::DISTINCT_PRINCIPALS).unwrap().u64().unwrap();
        assert_eq!(distinct.get(1), Some(7));
    }

    #[test]
    fn caller_class_filter_keeps_own_workloads() {
        let df = findings_frame(&corpus()).unwrap();
        let agg = Aggregates::from_frame(&df).unwrap();
        let own = agg
            .groups(
                Dimension::RootCause,
                Some(&[CallerClass::SameAccount]),
                None,
            )
            .unwrap();
        let total: u64 = own
            .column(out::COUNT)
            .unwrap()
            .u64()
            .unwrap()
            .iter()
            .flatten()
            .sum();
        assert_eq!(total, 24); // 30 minus the 6 with i % 5 == 0
    }

    /// Remediation texts numbered ([`FixTexts`]) must give the groups the texts give: the
    /// same most common fix, ties between fixes broken by text (here the texts first seen are
    /// the ones that sort last, and every group has ties), nulls as no fix; and the numbered
    /// partials of shards merge like the texts' do.
    #[test]
    fn numbered_fixes_give_the_groups_the_texts_give() {
        let mut v = corpus();
        for (i, f) in v.iter_mut().enumerate() {
            f.remediation = (i % 6 != 5).then(|| format!("fix {}", 9 - i % 4));
        }
        let texts = Aggregates::from_frame(&findings_frame(&v).unwrap()).unwrap();
        let mut fixes = FixTexts::default();
        let mut numbered_shard = |f: &[Finding]| {
            let frame = fixes.number(findings_frame(f).unwrap()).unwrap();
            Aggregates::from_frame(&frame).unwrap()
        };
        let (a, b) = v.split_at(11);
        let whole = numbered_shard(&v);
        let merged = numbered_shard(b).merge(numbered_shard(a)).unwrap();
        let whole = whole.with_fix_texts(fixes.clone()).unwrap();
        let merged = merged.with_fix_texts(fixes).unwrap();
        for dim in Dimension::ALL {
            for top in [None, Some(2)] {
                let want = rows(&texts.groups(dim, None, top).unwrap());
                assert_eq!(
                    rows(&whole.groups(dim, None, top).unwrap()),
                    want,
                    "{dim:?}"
                );
                assert_eq!(
                    rows(&merged.groups(dim, None, top).unwrap()),
                    want,
                    "{dim:?}"
                );
            }
        }
        let g = texts.groups(Dimension::RootCause, None, None).unwrap();
        let fix = g.column(out::TOP_FIX).unwrap().str().unwrap();
        assert!(fix.iter().flatten().all(|f| f.starts_with("fix ")), "{g}");
    }

    #[test]
    fn merge_of_shards_equals_aggregate_of_the_whole() {
        let all = corpus();
        let whole = Aggregates::from_frame(&findings_frame(&all).unwrap()).unwrap();
        // Uneven shards, in an order unlike the original.
        let (a, rest) = all.split_at(7);
        let (b, c_) = rest.split_at(15);
        let shard = |f: &[Finding]| Aggregates::from_frame(&findings_frame(f).unwrap()).unwrap();
        let merged = shard(c_).merge(shard(a)).unwrap().merge(shard(b)).unwrap();
        for dim in Dimension::ALL {
            let w = whole.groups(dim, None, None).unwrap();
            let m = merged.groups(dim, None, None).unwrap();
            assert_eq!(rows(&w), rows(&m), "{dim:?}");
            let w = whole
                .groups(dim, Some(&[CallerClass::Anonymous]), None)
                .unwrap();
            let m = merged
                .groups(dim, Some(&[CallerClass::Anonymous]), None)
                .unwrap();
            assert_eq!(rows(&w), rows(&m), "{dim:?} anonymous");
        }
    }
}
