//! One `_entities` fetch for one or more jobs (a batch fetch serves several): collect the
//! distinct representations, send them, and merge each answer into every entity that has its
//! representation, with the subgraph's errors re-pathed to each.

use std::collections::{BTreeSet, HashMap};

use sonic_rs::{JsonContainerTrait, JsonValueTrait, Value};

use super::entities::{Representations, Trail, rewrite, trail_path, visit, visit_mut, write_representation};
use super::errors::json_path;
use super::tree::Ref;
use super::{EntityJob, Execution, Outcome, subgraph_error};
use crate::error::{GraphqlError, PathSegment};

/// Per visited entity, in visiting order, the index of its representation (`None`: it has
/// none and is skipped).
type Slots = Vec<Option<usize>>;

/// A subgraph error about one representation, with the rest of its path below the entity.
type EntityError<'e> = (&'e Value, Vec<PathSegment>);

impl<'a, 'r: 'a> Execution<'a, 'r> {
    /// Fetches the entities of `jobs` from `service` with the plan's fetch `id`.
    pub(super) async fn entity_fetch(
        &'a self,
        service: &'a str,
        id: i64,
        usages: Option<&'a BTreeSet<String>>,
        jobs: Vec<EntityJob<'a>>,
    ) {
        let collected = self.representations(&jobs);
        if collected.iter().all(|(reps, _)| reps.is_empty()) {
            return;
        }
        let mut slots_by_job = Vec::with_capacity(collected.len());
        let mut extra: Vec<(&str, Vec<u8>)> = Vec::with_capacity(collected.len());
        for (job, (reps, slots)) in jobs.iter().zip(collected) {
            extra.push((job.variable, reps.finish()));
            slots_by_job.push(slots);
        }
        let response = self.send(service, self.body(id, usages, &extra)).await;
        let mut state = self.lock();
        let response = match response {
            Ok(response) => response,
            Err(error) => return state.errors.push(error),
        };
        let by_entity = entity_errors(service, &jobs, response.errors(), &mut state.errors);
        let data = response.data();
        self.merge(&mut state, service, &jobs, slots_by_job, data, &by_entity);
    }

    /// Per job, the distinct representations of the entities it visits and their slots.
    fn representations(&self, jobs: &[EntityJob<'_>]) -> Vec<(Representations, Slots)> {
        let state = self.lock();
        let root = Ref::from(&state.data);
        let types = &self.supergraph.all_types;
        let mut text = Vec::with_capacity(64);
        let mut collected = Vec::with_capacity(jobs.len());
        for job in jobs {
            let mut reps = Representations::default();
            let mut slots = Slots::new();
            for path in &job.paths {
                visit(root, path.as_slice(), &mut Vec::new(), &mut |entity, _| {
                    text.clear();
                    let rep = write_representation(entity, job.requires, types, &mut text).then(|| {
                        // Rewrites (rare: `@interfaceObject`) apply to a decoded copy.
                        if let Some(rewrites) = job.input_rewrites
                            && let Ok(mut rep) = sonic_rs::from_slice::<Value>(&text)
                        {
                            rewrite(&mut rep, rewrites, types);
                            return reps.add(&rep);
                        }
                        reps.add_text(&text)
                    });
                    slots.push(rep);
                });
            }
            collected.push((reps, slots));
        }
        collected
    }

    /// Merges each job's answers into the entities of its slots, with their errors.
    fn merge(
        &self,
        state: &mut Outcome<'r>,
        service: &str,
        jobs: &[EntityJob<'_>],
        slots_by_job: Vec<Slots>,
        data: Option<&'r Value>,
        by_entity: &HashMap<(&str, usize), Vec<EntityError<'_>>>,
    ) {
        let mut new_errors = Vec::new();
        for (job, slots) in jobs.iter().zip(slots_by_job) {
            let answers: &'r [Value] = match data.and_then(|d| d.get(job.response_key)) {
                Some(list) if list.is_array() => {
                    let list = match job.output_rewrites {
                        Some(rewrites) => self.rewritten(list, rewrites),
                        None => list,
                    };
                    list.as_array().map(|a| a.as_slice()).unwrap_or_default()
                }
                _ => &[],
            };
            let mut slot = 0usize;
            for path in &job.paths {
                visit_mut(&mut state.data, path.as_slice(), &mut Vec::new(), &mut |entity, trail: &[Trail<'_>]| {
                    let Some(Some(index)) = slots.get(slot).copied() else {
                        slot += 1;
                        return;
                    };
                    slot += 1;
                    // Every entity with this representation merges the same answer, uncopied.
                    if let Some(answer) = answers.get(index).and_then(|a| a.as_object()) {
                        entity.merge(answer, &self.supergraph.types);
                    }
                    if let Some(errors) = by_entity.get(&(job.response_key, index)) {
                        for (error, rest) in errors {
                            let mut path = trail_path(trail);
                            path.extend(rest.iter().cloned());
                            new_errors.push(subgraph_error(service, error, Some(path)));
                        }
                    }
                });
            }
        }
        state.errors.extend(new_errors);
    }
}

/// The subgraph's errors by (response key, representation index), to be re-pathed to every
/// entity using it; errors about no representation go to `unplaced` as they are.
fn entity_errors<'j, 'e>(
    service: &str,
    jobs: &[EntityJob<'j>],
    errors: &'e [Value],
    unplaced: &mut Vec<GraphqlError>,
) -> HashMap<(&'j str, usize), Vec<EntityError<'e>>> {
    let mut by_entity: HashMap<(&str, usize), Vec<EntityError<'_>>> = HashMap::new();
    for error in errors {
        let path = error.get("path").and_then(|p| p.as_array());
        match path.map(|p| p.as_slice()) {
            Some([key, n, rest @ ..]) if key.is_str() && n.as_u64().is_some() => {
                let key = key.as_str().unwrap_or("");
                let key = jobs.iter().map(|j| j.response_key).find(|k| *k == key).unwrap_or("");
                by_entity.entry((key, n.as_u64().unwrap_or(0) as usize)).or_default().push((error, json_path(rest)));
            }
            _ => unplaced.push(subgraph_error(service, error, None)),
        }
    }
    by_entity
}
