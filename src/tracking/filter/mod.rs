//! The run filter language (`metrics.acc > 0.9 and params.opt = 'adam'`), read like MLflow's
//! search filters and compiled to a parameterised SQL condition over `runs r`. User text never
//! reaches SQL except as `?` parameters. Also parses sort keys (`-metrics.acc`).
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
        let (prefix, key) = match self {
            Field::Metric(k) => ("metrics", k),
            Field::Param(k) => ("params", k),
            Field::Tag(k) => ("tags", k),
            Field::Attr(a) => return f.write_str(a.name()),
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

/// An expression compiled to SQL: `sql` is a boolean condition over `runs r`, never NULL,
/// whose `?` placeholders take `params` in order.
#[derive(Debug, Clone)]
pub struct Filter {
    pub expr: Expr,
    pub sql: String,
    pub params: Vec<Value>,
}

/// Parse and compile an expression.
pub fn compile(text: &str) -> Result<Filter, FilterError> {
    let expr = parse(text)?;
    let (sql, params) = sql::compile(&expr)?;
    Ok(Filter { expr, sql, params })
}

impl Filter {
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
        walk(&self.expr, &mut out);
        out
    }
}

impl Comparison {
    /// This comparison alone as a SQL condition over `runs r`, with its parameters.
    pub fn to_sql(&self) -> Result<(String, Vec<Value>), FilterError> {
        let mut params = Vec::new();
        let sql = sql::comparison(self, &mut params)?;
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
    sql::value(field)
}

/// SQL for ordering runs by `sort` (an `ORDER BY` list ending with the id, so ties are stable).
pub fn order_sql(sort: &Sort) -> (String, Vec<Value>) {
    sql::order(sort)
}

/// The closest candidate to `word`, if it is close enough to be a likely typo.
pub(crate) fn suggest<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    crate::text::closest(&word.to_lowercase(), candidates)
}
