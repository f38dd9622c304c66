// One person of the org tree. Their direct reports are fetched when the node is first opened
// (each with the ids of their own reports, so a node knows whether it can open at all).
import { useState } from "react";
import { useQuery } from "urql";
import { graphql } from "../gql";
import type { OrgPersonFragment as Person } from "../gql/graphql";
import { ErrorMessage } from "../ui/ErrorMessage";
import { Loading } from "../ui/Loading";

/** A person of the tree, with the ids of their direct reports (to know if they can open). */
export const OrgPersonFragment = graphql(`
  fragment OrgPerson on Employee {
    id
    name
    title
    department
    directReports {
      id
    }
  }
`);

const DirectReports = graphql(`
  query DirectReports($id: ID!) {
    employee(id: $id) {
      id
      directReports {
        ...OrgPerson
      }
    }
  }
`);

export function OrgNode({ person }: { person: Person }) {
  const [open, setOpen] = useState(false);
  const count = person.directReports.length;
  const groupId = `reports-of-${person.id}`;
  return (
    <li className="org-node">
      <div className="org-person">
        {count > 0 ? (
          <button
            type="button"
            className="disclosure"
            aria-expanded={open}
            aria-controls={open ? groupId : undefined}
            onClick={() => setOpen(!open)}
          >
            <span aria-hidden="true">{open ? "▾" : "▸"}</span>
            <span className="visually-hidden">{open ? "Hide" : "Show"} reports of</span> {person.name}
          </button>
        ) : (
          <span className="leaf">{person.name}</span>
        )}
        <span className="muted">
          {person.title}
          {person.department && ` · ${person.department}`}
          {count > 0 && ` · ${count} direct report${count === 1 ? "" : "s"}`}
        </span>
      </div>
      {open && <Reports id={person.id} groupId={groupId} />}
    </li>
  );
}

function Reports({ id, groupId }: { id: string; groupId: string }) {
  const [{ data, error }] = useQuery({ query: DirectReports, variables: { id } });
  if (error) return <ErrorMessage error={error} />;
  if (!data) return <Loading label="Loading reports" />;
  const reports = data.employee?.directReports ?? [];
  return (
    <ul id={groupId} className="org-level">
      {reports.map((person) => (
        <OrgNode key={person.id} person={person} />
      ))}
    </ul>
  );
}
