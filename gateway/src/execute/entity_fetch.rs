//! One `_entities` fetch for one or more jobs (a batch fetch serves several): collect the
//! distinct representations, send them, and merge each answer into every entity that has its
//! representation, with the subgraph's errors re-pathed to each.

use std::collections::{BTreeSet, HashMap};

use sonic_rs::{JsonContainerTrait, JsonValueTrait, Value};

use super::cached::Found;
use super::client::SubgraphResponse;
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
    /// Fetches the entities of `jobs` from `service` with the plan's fetch `id`; through the
    /// entity cache, only those it does not have.
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
        let (reps, slots_by_job): (Vec<Representations>, Vec<Slots>) = collected.into_iter().unzip();
        // Rewritten representations (`@interfaceObject`) are not cached: rare, and keyed twice.
        let cache = self.cache_for(service).filter(|_| jobs.iter().all(|j| j.input_rewrites.is_none()));
        let query_text = cache.map(|_| self.body(id, usages, &[]));
        let mut found = match (cache, &query_text) {
            (Some(cache), Some(text)) => {
                let borrowed: Vec<&Representations> = reps.iter().collect();
                Some(self.find_entities(cache, service, text, &jobs, &borrowed).await)
            }
            _ => None,
        };
        // Per job, the representation indices sent, in the order sent.
        let sent: Vec<Vec<usize>> = (0..jobs.len())
            .map(|j| found.as_ref().map_or_else(|| (0..reps[j].len()).collect(), |f| f.missing(j)))
            .collect();
        let mut kept = Vec::new();
        let mut extra: Vec<(&str, Vec<u8>)> = Vec::with_capacity(jobs.len());
        for ((job, reps), sent) in jobs.iter().zip(reps).zip(&sent) {
            if found.is_some() {
                extra.push((job.variable, reps.subset(sent)));
                kept.push(reps);
            } else {
                extra.push((job.variable, reps.finish()));
            }
        }
        let response = match sent.iter().all(Vec::is_empty) {
            true => None,
            false => {
                let at = found.as_ref().map_or((0, false), |f| (f.epoch, f.uncached));
                Some(self.send_at(service, self.body(id, usages, &extra), at).await)
            }
        };
        let response = match response {
            Some(Ok(response)) => Some(response),
            Some(Err(error)) => {
                self.lock().errors.push(error);
                None
            }
            None => None,
        };
        let fetched = self.merge_answers(service, &jobs, &sent, slots_by_job, found.as_mut(), response);
        if let (Some(cache), Some(found), Some(response), Some(text)) = (cache, found, response, &query_text) {
            let kept: Vec<&Representations> = kept.iter().collect();
            self.store_entities(cache, (service, text), (&jobs, &kept), found, response, fetched).await;
        }
    }

    /// Merges each job's answers (found in the cache, or in `response` at the positions `sent`
    /// lists) into its entities; answers the fetched entities that came back without errors
    /// (representation index, position in the response's list, answer).
    fn merge_answers(
        &self,
        service: &str,
        jobs: &[EntityJob<'_>],
        sent: &[Vec<usize>],
        slots_by_job: Vec<Slots>,
        mut found: Option<&mut Found<'r>>,
        response: Option<&'r SubgraphResponse>,
    ) -> Vec<Vec<(usize, usize, &'r Value)>> {
        let mut state = self.lock();
        let errors = response.map(|r| r.errors()).unwrap_or_default();
        let by_entity = entity_errors(service, jobs, sent, errors, &mut state.errors);
        let mut answers_by_job = Vec::with_capacity(jobs.len());
        let mut fetched = Vec::with_capacity(jobs.len());
        for (j, job) in jobs.iter().enumerate() {
            let mut answers = match found.as_deref_mut() {
                Some(found) => std::mem::take(&mut found.hits[j]),
                None => vec![None; sent[j].len()],
            };
            let list = self.answers(response.and_then(|r| r.data()), job);
            let mut whole = Vec::new();
            for (position, (answer, &index)) in list.iter().zip(&sent[j]).enumerate() {
                answers[index] = Some(answer);
                if !by_entity.contains_key(&(job.response_key, index)) {
                    whole.push((index, position, answer));
                }
            }
            answers_by_job.push(answers);
            fetched.push(whole);
        }
        self.merge(&mut state, service, jobs, slots_by_job, answers_by_job, &by_entity);
        fetched
    }

    /// The `_entities` answers of `job` in `data`, in the order its representations were sent.
    fn answers(&self, data: Option<&'r Value>, job: &EntityJob<'_>) -> &'r [Value] {
        let Some(list) = data.and_then(|d| d.get(job.response_key)) else { return &[] };
        // Anything but a list (a null, say) answers no entity, rewritten or not.
        let list = match job.output_rewrites {
            Some(rewrites) => self.rewritten(list, rewrites),
            None => list,
        };
        list.as_array().map(|a| a.as_slice()).unwrap_or_default()
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
        answers_by_job: Vec<Vec<Option<&'r Value>>>,
        by_entity: &HashMap<(&str, usize), Vec<EntityError<'_>>>,
    ) {
        let mut new_errors = Vec::new();
        for ((job, slots), answers) in jobs.iter().zip(slots_by_job).zip(answers_by_job) {
            let mut slot = 0usize;
            for path in &job.paths {
                visit_mut(&mut state.data, path.as_slice(), &mut Vec::new(), &mut |entity, trail: &[Trail<'_>]| {
                    let Some(Some(index)) = slots.get(slot).copied() else {
                        slot += 1;
                        return;
                    };
                    slot += 1;
                    // Every entity with this representation merges the same answer, uncopied.
                    if let Some(answer) = answers.get(index).copied().flatten().and_then(|a| a.as_object()) {
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
/// entity using it; errors about no representation sent go to `unplaced`, without a path.
/// `sent` maps each job's positions in the request to representation indices.
fn entity_errors<'j, 'e>(
    service: &str,
    jobs: &[EntityJob<'j>],
    sent: &[Vec<usize>],
    errors: &'e [Value],
    unplaced: &mut Vec<GraphqlError>,
) -> HashMap<(&'j str, usize), Vec<EntityError<'e>>> {
    let mut by_entity: HashMap<(&str, usize), Vec<EntityError<'_>>> = HashMap::new();
    for error in errors {
        let path = error.get("path").and_then(|p| p.as_array()).map(|p| p.as_slice()).unwrap_or_default();
        // `[response key, position, rest...]`, naming an entity that was sent.
        let placed = match path {
            [key, n, rest @ ..] => {
                let job = key.as_str().and_then(|key| jobs.iter().position(|j| j.response_key == key));
                job.zip(n.as_u64()).and_then(|(j, n)| Some((jobs[j].response_key, *sent[j].get(n as usize)?, rest)))
            }
            _ => None,
        };
        match placed {
            Some((key, index, rest)) => by_entity.entry((key, index)).or_default().push((error, json_path(rest))),
            None => unplaced.push(subgraph_error(service, error, None)),
        }
    }
    by_entity
}
