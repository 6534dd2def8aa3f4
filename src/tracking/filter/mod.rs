//! The run filter language (`metrics.acc > 0.9 and params.opt = 'adam'`), read like MLflow's
//! search filters and compiled to a parameterised SQL condition over `runs r`, or over
//! `experiments e` (a param, metric or tag of an experiment is one of the runs it shows; see
//! [`Target`]). User text never reaches SQL except as `?` parameters. Also parses sort keys
//! (`-metrics.acc`).
//!
//! The language is documented in docs/tracking-query.md; keep the two in step.

mod lexer;
mod parser;
mod sql;
mod time;

use std::fmt;

use rusqlite::types::Value;

pub use parser::{MAX_DEPTH, parse, parse_sort};
pub use sql::MAX_PARAMS;

/// A mistake in a filter expression or sort key, at a 1-based character column.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message} (column {column})")]
pub struct FilterError {
    pub column: usize,
    pub message: String,
}

impl FilterError {
    pub(crate) fn new(column: usize, message: impl Into<String>) -> Self {
        FilterError { column, message: message.into() }
    }
}

/// A parsed expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    And(Box<Expr>, Box<Expr>),
    Or(Box<Expr>, Box<Expr>),
    Not(Box<Expr>),
    Cmp(Comparison),
}

/// One `FIELD OP VALUE` test.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    pub field: Field,
    pub field_col: usize,
    pub op: Op,
    pub op_col: usize,
    /// One literal for binary operators, one or more for `in`, none for `is [not] null`.
    pub values: Vec<Literal>,
    /// The operator and its values as written, e.g. `> 0.9` (for messages).
    pub rhs_text: String,
}

/// What a comparison reads from a run.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Field {
    /// The run's latest value of the metric (highest step).
    Metric(String),
    Param(String),
    Tag(String),
    Attr(Attr),
    /// Over experiments: a metric, param or tag of the run of one stage (`metrics.`eval:acc``).
    /// Never parsed: callers resolve `STAGE:KEY` keys into it.
    Staged(String, Box<Field>),
}

/// What a compiled filter selects: runs (`runs r`) or experiments (`experiments e`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Target {
    #[default]
    Runs,
    /// A metric, param or tag of an experiment is one of the runs it shows (its own, and those
    /// its stages name): a comparison holds when it holds for one of them.
    Experiments,
}

/// A column of `runs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Attr {
    Id,
    Name,
    Status,
    Commit,
    Branch,
    Start,
    End,
    Duration,
    ExitCode,
    User,
    Host,
    Dirty,
    /// The pipeline stage a run executed.
    Stage,
    /// The pipeline run a stage run belongs to.
    PipelineRun,
}

impl Attr {
    pub const ALL: [Attr; 14] = [
        Attr::Id,
        Attr::Name,
        Attr::Status,
        Attr::Commit,
        Attr::Branch,
        Attr::Start,
        Attr::End,
        Attr::Duration,
        Attr::ExitCode,
        Attr::User,
        Attr::Host,
        Attr::Dirty,
        Attr::Stage,
        Attr::PipelineRun,
    ];

    /// The name used in filters and messages.
    pub fn name(self) -> &'static str {
        match self {
            Attr::Id => "id",
            Attr::Name => "name",
            Attr::Status => "status",
            Attr::Commit => "commit",
            Attr::Branch => "branch",
            Attr::Start => "start",
            Attr::End => "end",
            Attr::Duration => "duration",
            Attr::ExitCode => "exit_code",
            Attr::User => "user",
            Attr::Host => "host",
            Attr::Dirty => "dirty",
            Attr::Stage => "stage",
            Attr::PipelineRun => "pipeline_run",
        }
    }

    /// The attribute a word names, including MLflow's spellings (`start_time`, `run_name`).
    pub fn from_name(word: &str) -> Option<Attr> {
        Some(match word.to_lowercase().as_str() {
            "id" | "run" | "run_id" => Attr::Id,
            "name" | "run_name" => Attr::Name,
            "status" => Attr::Status,
            "commit" | "git_commit" => Attr::Commit,
            "branch" | "git_branch" => Attr::Branch,
            "start" | "start_time" => Attr::Start,
            "end" | "end_time" => Attr::End,
            "duration" => Attr::Duration,
            "exit_code" => Attr::ExitCode,
            "user" => Attr::User,
            "host" => Attr::Host,
            "dirty" | "git_dirty" => Attr::Dirty,
            "stage" => Attr::Stage,
            "pipeline_run" | "pipeline" => Attr::PipelineRun,
            _ => return None,
        })
    }

    /// The column of `experiments e` (SQL text), `None` for a field only runs have.
    pub(crate) fn experiment_column(self) -> Option<&'static str> {
        Some(match self {
            Attr::Id | Attr::PipelineRun => "e.id",
            Attr::Name => "e.name",
            Attr::Status => "e.status",
            Attr::Commit => "e.git_commit",
            Attr::Branch => "e.git_branch",
            Attr::Start => "coalesce(e.started, e.created)",
            Attr::End => "e.ended",
            // In whole milliseconds, as runs' durations are (julianday is not exact).
            Attr::Duration => {
                "(round((julianday(e.ended) - julianday(e.started)) * 86400000.0) / 1000.0)"
            }
            Attr::ExitCode => "(SELECT x.exit_code FROM runs x WHERE x.id = e.id)",
            Attr::User => "e.user",
            Attr::Host => "e.host",
            Attr::Dirty => "e.git_dirty",
            Attr::Stage => return None,
        })
    }

    /// The column for `target` (SQL text, never user input).
    pub(crate) fn column_in(self, target: Target) -> Option<&'static str> {
        match target {
            Target::Runs => Some(self.column()),
            Target::Experiments => self.experiment_column(),
        }
    }

    /// The `runs` column (SQL text, never user input).
    pub(crate) fn column(self) -> &'static str {
        match self {
            Attr::Id => "r.id",
            Attr::Name => "r.name",
            Attr::Status => "r.status",
            Attr::Commit => "r.git_commit",
            Attr::Branch => "r.git_branch",
            Attr::Start => "r.start_time",
            Attr::End => "r.end_time",
            Attr::Duration => "r.duration",
            Attr::ExitCode => "r.exit_code",
            Attr::User => "r.user",
            Attr::Host => "r.host",
            Attr::Dirty => "r.git_dirty",
            Attr::Stage => "r.stage",
            Attr::PipelineRun => "r.pipeline_run",
        }
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let staged;
        let (prefix, key) = match self {
            Field::Metric(k) => ("metrics", k),
            Field::Param(k) => ("params", k),
            Field::Tag(k) => ("tags", k),
            Field::Attr(a) => return f.write_str(a.name()),
            Field::Staged(stage, inner) => {
                let (prefix, key) = match &**inner {
                    Field::Metric(k) => ("metrics", k),
                    Field::Param(k) => ("params", k),
                    Field::Tag(k) => ("tags", k),
                    other => return other.fmt(f),
                };
                staged = format!("{stage}:{key}");
                (prefix, &staged)
            }
        };
        let bare = key.chars().next().is_some_and(|c| c.is_alphanumeric() || c == '_')
            && key.chars().all(lexer::is_word_char);
        if bare {
            write!(f, "{prefix}.{key}")
        } else {
            write!(f, "{prefix}.`{}`", key.replace('`', "``"))
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    /// Case-sensitive pattern: `%` any text, `_` one character, `\` escapes.
    Like,
    NotLike,
    /// As `like`, ignoring ASCII case.
    ILike,
    NotILike,
    In,
    NotIn,
    /// The run has no such metric, param or tag (or the attribute is empty).
    IsNull,
    IsNotNull,
}

impl Op {
    pub fn as_str(self) -> &'static str {
        match self {
            Op::Eq => "=",
            Op::Ne => "!=",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Like => "like",
            Op::NotLike => "not like",
            Op::ILike => "ilike",
            Op::NotILike => "not ilike",
            Op::In => "in",
            Op::NotIn => "not in",
            Op::IsNull => "is null",
            Op::IsNotNull => "is not null",
        }
    }

    fn is_ordering(self) -> bool {
        matches!(self, Op::Lt | Op::Le | Op::Gt | Op::Ge)
    }
}

/// A literal value as written.
#[derive(Debug, Clone, PartialEq)]
pub struct Literal {
    pub value: LitValue,
    /// The source text (`0.01`, `'adam'`).
    pub raw: String,
    pub col: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub enum LitValue {
    /// Includes `inf`, `-inf` and `nan`.
    Number(f64),
    Text(String),
    Bool(bool),
}

/// An expression compiled to SQL: `sql` is a boolean condition over `runs r` (or `experiments
/// e`, as `target` says), never NULL, whose `?` placeholders take `params` in order.
#[derive(Debug, Clone)]
pub struct Filter {
    pub expr: Expr,
    pub sql: String,
    pub params: Vec<Value>,
    pub target: Target,
}

/// Parse and compile an expression (over runs).
pub fn compile(text: &str) -> Result<Filter, FilterError> {
    compile_expr(parse(text)?, Target::Runs)
}

/// Compile a parsed expression (whose fields the caller may have resolved) for `target`.
pub fn compile_expr(expr: Expr, target: Target) -> Result<Filter, FilterError> {
    let (sql, params) = sql::compile(&expr, target)?;
    Ok(Filter { expr, sql, params, target })
}

impl Expr {
    /// Every comparison in the expression, left to right.
    pub fn comparisons(&self) -> Vec<&Comparison> {
        fn walk<'a>(e: &'a Expr, out: &mut Vec<&'a Comparison>) {
            match e {
                Expr::And(a, b) | Expr::Or(a, b) => {
                    walk(a, out);
                    walk(b, out);
                }
                Expr::Not(a) => walk(a, out),
                Expr::Cmp(c) => out.push(c),
            }
        }
        let mut out = Vec::new();
        walk(self, &mut out);
        out
    }

    /// Every comparison, left to right, to rewrite its field (resolving short names).
    pub fn comparisons_mut(&mut self) -> Vec<&mut Comparison> {
        fn walk<'a>(e: &'a mut Expr, out: &mut Vec<&'a mut Comparison>) {
            match e {
                Expr::And(a, b) | Expr::Or(a, b) => {
                    walk(a, out);
                    walk(b, out);
                }
                Expr::Not(a) => walk(a, out),
                Expr::Cmp(c) => out.push(c),
            }
        }
        let mut out = Vec::new();
        walk(self, &mut out);
        out
    }
}

impl Filter {
    /// Every comparison in the expression, left to right.
    pub fn comparisons(&self) -> Vec<&Comparison> {
        self.expr.comparisons()
    }
}

impl Comparison {
    /// This comparison alone as a SQL condition over `runs r`, with its parameters.
    pub fn to_sql(&self) -> Result<(String, Vec<Value>), FilterError> {
        self.to_sql_in(Target::Runs)
    }

    /// This comparison alone as a SQL condition for `target`, with its parameters.
    pub fn to_sql_in(&self, target: Target) -> Result<(String, Vec<Value>), FilterError> {
        let mut params = Vec::new();
        let sql = sql::comparison(self, target, &mut params)?;
        Ok((sql, params))
    }
}

/// A sort key: a field, ascending unless `descending`.
#[derive(Debug, Clone, PartialEq)]
pub struct Sort {
    pub field: Field,
    pub descending: bool,
}

impl Sort {
    /// Newest first: the default order of run lists.
    pub fn newest_first() -> Self {
        Sort { field: Field::Attr(Attr::Start), descending: true }
    }
}

/// SQL for a field's value in run `r`, for showing what a comparison saw (metrics: a number,
/// `'NaN'`, or NULL when the run has none).
pub fn value_sql(field: &Field) -> (String, Vec<Value>) {
    sql::value(field, Target::Runs)
}

/// [`value_sql`] for `target`; over experiments, the value of the newest run that has it.
pub fn value_sql_in(field: &Field, target: Target) -> (String, Vec<Value>) {
    sql::value(field, target)
}

/// SQL for ordering runs by `sort` (an `ORDER BY` list ending with the id, so ties are stable).
pub fn order_sql(sort: &Sort) -> (String, Vec<Value>) {
    sql::order(sort, Target::Runs)
}

/// [`order_sql`] for `target`; over experiments, by the value of the newest run that has it.
pub fn order_sql_in(sort: &Sort, target: Target) -> (String, Vec<Value>) {
    sql::order(sort, target)
}

/// The closest candidate to `word`, if it is close enough to be a likely typo.
pub(crate) fn suggest<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    crate::text::closest(&word.to_lowercase(), candidates)
}
