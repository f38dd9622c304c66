// Sharing a document with an employee (found by name) or a group, and stopping a share.
import { useState, type FormEvent } from "react";
import { useMutation, useQuery } from "urql";
import { graphql } from "../gql";
import type { DocumentDetailQuery } from "../gql/graphql";
import { Empty } from "../ui/Empty";
import { ErrorMessage } from "../ui/ErrorMessage";
import { formatDate } from "../ui/format";

type Shares = NonNullable<DocumentDetailQuery["document"]>["sharedWith"];

const FindEmployees = graphql(`
  query FindEmployees($name: String!) {
    employees(filter: { nameContains: $name }, first: 8) {
      edges {
        node {
          id
          name
          title
          email
        }
      }
    }
  }
`);

const Groups = graphql(`
  query Groups {
    groups {
      id
      name
    }
  }
`);

const Share = graphql(`
  mutation ShareDocument($id: ID!, $employeeId: ID, $groupId: ID) {
    shareDocument(id: $id, employeeId: $employeeId, groupId: $groupId) {
      ...DocumentSharing
    }
  }
`);

const Unshare = graphql(`
  mutation UnshareDocument($id: ID!, $employeeId: ID, $groupId: ID) {
    unshareDocument(id: $id, employeeId: $employeeId, groupId: $groupId) {
      ...DocumentSharing
    }
  }
`);

export function ShareForm({ documentId, shares }: { documentId: string; shares: Shares }) {
  const [name, setName] = useState("");
  const [searched, setSearched] = useState("");
  const [groupId, setGroupId] = useState("");
  const [found] = useQuery({ query: FindEmployees, variables: { name: searched }, pause: !searched });
  const [groups] = useQuery({ query: Groups });
  const [shareState, share] = useMutation(Share);
  const [unshareState, unshare] = useMutation(Unshare);
  const [done, setDone] = useState("");

  const onFind = (event: FormEvent) => {
    event.preventDefault();
    setSearched(name.trim());
  };
  const shareWith = async (target: { employeeId?: string; groupId?: string }, label: string) => {
    setDone("");
    const result = await share({ id: documentId, ...target });
    if (!result.error) setDone(`Shared with ${label}.`);
  };
  const stopSharing = async (target: { employeeId?: string; groupId?: string }, label: string) => {
    setDone("");
    const result = await unshare({ id: documentId, ...target });
    if (!result.error) setDone(`No longer shared with ${label}.`);
  };
  const employees = found.data?.employees.edges.map((edge) => edge.node) ?? [];
  const groupName = groups.data?.groups.find((g) => g.id === groupId)?.name ?? "";

  return (
    <section className="card" aria-labelledby="share-title">
      <h2 id="share-title">Sharing</h2>
      {shares.length === 0 ? (
        <Empty>Not shared with anyone.</Empty>
      ) : (
        <ul className="shares">
          {shares.map((s) => {
            const label = s.employee?.name ?? s.group?.name ?? "someone";
            const target = s.employee ? { employeeId: s.employee.id } : { groupId: s.group?.id };
            return (
              <li key={`${s.employee?.id ?? ""}:${s.group?.id ?? ""}`}>
                <span>
                  {label}
                  {s.group && " (group)"} <span className="muted">by {s.sharedBy.name}, {formatDate(s.sharedAt)}</span>
                </span>
                <button type="button" className="button secondary small" onClick={() => stopSharing(target, label)}>
                  Stop sharing with {label}
                </button>
              </li>
            );
          })}
        </ul>
      )}

      <form className="filters" onSubmit={onFind} aria-label="Find an employee to share with">
        <div className="field grow">
          <label htmlFor="share-employee">Share with an employee</label>
          <input
            id="share-employee"
            type="search"
            placeholder="Part of a name"
            value={name}
            onChange={(e) => setName(e.target.value)}
          />
        </div>
        <button type="submit" className="button secondary">
          Find
        </button>
      </form>
      {found.error && <ErrorMessage error={found.error} />}
      {searched && found.data && employees.length === 0 && <Empty>Nobody's name contains “{searched}”.</Empty>}
      {employees.length > 0 && (
        <ul className="found">
          {employees.map((employee) => (
            <li key={employee.id}>
              <span>
                {employee.name}{" "}
                <span className="muted">
                  {employee.title} · {employee.email}
                </span>
              </span>
              <button
                type="button"
                className="button small"
                onClick={() => shareWith({ employeeId: employee.id }, employee.name)}
              >
                Share with {employee.name}
              </button>
            </li>
          ))}
        </ul>
      )}

      <div className="filters">
        <div className="field grow">
          <label htmlFor="share-group">Share with a group</label>
          <select id="share-group" value={groupId} onChange={(e) => setGroupId(e.target.value)}>
            <option value="">Choose a group</option>
            {groups.data?.groups.map((group) => (
              <option key={group.id} value={group.id}>
                {group.name}
              </option>
            ))}
          </select>
        </div>
        <button
          type="button"
          className="button secondary"
          disabled={!groupId}
          onClick={() => shareWith({ groupId }, groupName)}
        >
          Share with group
        </button>
      </div>
      {shareState.error && <ErrorMessage error={shareState.error} />}
      {unshareState.error && <ErrorMessage error={unshareState.error} />}
      {done && (
        <p className="success" role="status">
          {done}
        </p>
      )}
    </section>
  );
}
