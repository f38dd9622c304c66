//! Stage: depth, alias and root-field limits, checked before validation so that a hostile
//! operation never reaches the quadratic validation rules.

use std::collections::HashMap;

use graphql_tools::static_graphql::query::{
    Definition, Document, FragmentDefinition, OperationDefinition, Selection, SelectionSet,
};

use crate::config::LimitsConfig;
use crate::error::{Code, RequestError};

/// Checks the operation that will run (`operation`) against the limits, fragments expanded.
pub fn check(document: &Document, operation: &OperationDefinition, limits: &LimitsConfig) -> Result<(), RequestError> {
    let fragments: HashMap<&str, &FragmentDefinition> = document
        .definitions
        .iter()
        .filter_map(|d| match d {
            Definition::Fragment(f) => Some((f.name.as_str(), f)),
            _ => None,
        })
        .collect();
    let mut walk = Walk { fragments, stack: Vec::new(), aliases: 0, visits: 0, budget: limits.max_tokens * 8 };
    let selection_set = selection_set(operation);
    walk.visit(selection_set, 1, limits)?;
    let root_fields = walk.count_root_fields(selection_set, limits.max_root_fields);
    if root_fields > limits.max_root_fields {
        return Err(RequestError::bad(
            Code::MaxRootFieldsExceeded,
            format!("the operation selects more than the maximum of {} root fields", limits.max_root_fields),
        ));
    }
    Ok(())
}

/// The document's fragment definitions by name.
pub fn fragments(document: &Document) -> HashMap<&str, &FragmentDefinition> {
    document
        .definitions
        .iter()
        .filter_map(|d| match d {
            Definition::Fragment(f) => Some((f.name.as_str(), f)),
            _ => None,
        })
        .collect()
}

/// [`selection_set`], to edit.
pub fn selection_set_mut(operation: &mut OperationDefinition) -> &mut SelectionSet {
    match operation {
        OperationDefinition::SelectionSet(s) => s,
        OperationDefinition::Query(q) => &mut q.selection_set,
        OperationDefinition::Mutation(m) => &mut m.selection_set,
        OperationDefinition::Subscription(s) => &mut s.selection_set,
    }
}

/// The selection set of any kind of operation.
pub fn selection_set(operation: &OperationDefinition) -> &SelectionSet {
    match operation {
        OperationDefinition::SelectionSet(s) => s,
        OperationDefinition::Query(q) => &q.selection_set,
        OperationDefinition::Mutation(m) => &m.selection_set,
        OperationDefinition::Subscription(s) => &s.selection_set,
    }
}

struct Walk<'a> {
    fragments: HashMap<&'a str, &'a FragmentDefinition>,
    /// Fragments being expanded: a cycle is left for validation to report.
    stack: Vec<&'a str>,
    aliases: usize,
    visits: usize,
    /// Most selections visited, so that nested fragment spreads cannot multiply without bound.
    budget: usize,
}

impl<'a> Walk<'a> {
    /// Root fields, fragments expanded; stops counting once past `limit`.
    fn count_root_fields(&mut self, set: &'a SelectionSet, limit: usize) -> usize {
        let mut count = 0;
        for selection in &set.items {
            if count > limit {
                break;
            }
            match selection {
                Selection::Field(_) => count += 1,
                Selection::InlineFragment(f) => count += self.count_root_fields(&f.selection_set, limit - count),
                Selection::FragmentSpread(s) => {
                    if let Some(fragment) = self.fragments.get(s.fragment_name.as_str()).copied()
                        && !self.stack.contains(&fragment.name.as_str())
                    {
                        self.stack.push(&fragment.name);
                        count += self.count_root_fields(&fragment.selection_set, limit - count);
                        self.stack.pop();
                    }
                }
            }
        }
        count
    }

    fn visit(&mut self, set: &'a SelectionSet, depth: usize, limits: &LimitsConfig) -> Result<(), RequestError> {
        for selection in &set.items {
            self.visits += 1;
            if self.visits > self.budget {
                return Err(RequestError::bad(
                    Code::MaxTokensExceeded,
                    "the operation expands to too many selections (fragments spread too often)",
                ));
            }
            match selection {
                Selection::Field(field) => {
                    if field.alias.is_some() {
                        self.aliases += 1;
                        if self.aliases > limits.max_aliases {
                            return Err(RequestError::bad(
                                Code::MaxAliasesExceeded,
                                format!("the operation uses more than the maximum of {} aliases", limits.max_aliases),
                            ));
                        }
                    }
                    if !field.selection_set.items.is_empty() {
                        if depth + 1 > limits.max_depth {
                            return Err(RequestError::bad(
                                Code::MaxDepthExceeded,
                                format!(
                                    "the operation is nested deeper than the maximum depth of {}",
                                    limits.max_depth
                                ),
                            ));
                        }
                        self.visit(&field.selection_set, depth + 1, limits)?;
                    }
                }
                Selection::InlineFragment(fragment) => self.visit(&fragment.selection_set, depth, limits)?,
                Selection::FragmentSpread(spread) => {
                    let Some(fragment) = self.fragments.get(spread.fragment_name.as_str()).copied() else {
                        continue;
                    };
                    if self.stack.contains(&fragment.name.as_str()) {
                        continue;
                    }
                    self.stack.push(&fragment.name);
                    self.visit(&fragment.selection_set, depth, limits)?;
                    self.stack.pop();
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use graphql_tools::parser::query::parse_query;

    fn run(text: &str, limits: &LimitsConfig) -> Result<(), RequestError> {
        let document = parse_query::<String>(text).unwrap().into_static();
        let operation = document
            .definitions
            .iter()
            .find_map(|d| match d {
                Definition::Operation(o) => Some(o.clone()),
                _ => None,
            })
            .unwrap();
        check(&document, &operation, limits)
    }

    fn code(result: Result<(), RequestError>) -> Option<String> {
        result.err().and_then(|e| e.errors[0].code().map(str::to_string))
    }

    #[test]
    fn depth_counts_through_fragments() {
        let limits = LimitsConfig { max_depth: 3, ..LimitsConfig::default() };
        assert!(run("{ a { b { c } } }", &limits).is_ok());
        let deep = "{ a { ...F } } fragment F on A { b { c { d } } }";
        assert_eq!(code(run(deep, &limits)).as_deref(), Some(Code::MaxDepthExceeded.as_str()));
    }

    #[test]
    fn aliases_and_root_fields_are_counted() {
        let limits = LimitsConfig { max_aliases: 2, max_root_fields: 3, ..LimitsConfig::default() };
        assert_eq!(code(run("{ a: x b: x c: x }", &limits)).as_deref(), Some(Code::MaxAliasesExceeded.as_str()));
        assert_eq!(
            code(run("{ a b c ... on Q { d } }", &limits)).as_deref(),
            Some(Code::MaxRootFieldsExceeded.as_str())
        );
    }

    #[test]
    fn fragment_cycles_and_bombs_terminate() {
        let limits = LimitsConfig::default();
        assert!(run("{ ...A } fragment A on Q { ...A x }", &limits).is_ok());
        let mut bomb = String::from("{ ...F0 }");
        for i in 0..30 {
            bomb.push_str(&format!(" fragment F{i} on Q {{ ...F{n} ...F{n} }}", n = i + 1));
        }
        bomb.push_str(" fragment F30 on Q { x }");
        assert_eq!(code(run(&bomb, &limits)).as_deref(), Some(Code::MaxTokensExceeded.as_str()));
    }
}
