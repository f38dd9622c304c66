// Choosing one employee by part of their name (names repeat in an org, so each match shows its
// title and email).
import { useState, type SyntheticEvent } from "react";
import { useQuery } from "urql";
import { graphql } from "../gql";
import { Empty } from "../ui/Empty";
import { ErrorMessage } from "../ui/ErrorMessage";

const PickEmployees = graphql(`
  query PickEmployees($name: String!) {
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

export interface PickedEmployee {
  id: string;
  name: string;
  email: string;
}

export function EmployeePicker({
  id,
  label,
  value,
  onChange,
}: {
  /** Prefix of the element ids. */
  id: string;
  label: string;
  value: PickedEmployee | null;
  onChange: (employee: PickedEmployee | null) => void;
}) {
  const [name, setName] = useState("");
  const [searched, setSearched] = useState("");
  const [found] = useQuery({ query: PickEmployees, variables: { name: searched }, pause: !searched });
  const employees = found.data?.employees.edges.map((edge) => edge.node) ?? [];

  if (value) {
    return (
      <p className="picked">
        <span>
          {label}: <strong data-testid={`${id}-chosen`}>{value.name}</strong> <span className="muted">{value.email}</span>
        </span>{" "}
        <button type="button" className="button secondary small" onClick={() => onChange(null)}>
          Choose someone else as {label.toLowerCase()}
        </button>
      </p>
    );
  }
  // A search inside the grant form: Enter here finds, it does not submit the grant.
  const find = (event: SyntheticEvent) => {
    event.preventDefault();
    setSearched(name.trim());
  };
  return (
    <div className="stack">
      <div className="filters">
        <div className="field grow">
          <label htmlFor={`${id}-name`}>{label}</label>
          <input
            id={`${id}-name`}
            type="search"
            placeholder="Part of a name"
            value={name}
            onChange={(e) => setName(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === "Enter") find(e);
            }}
          />
        </div>
        <button type="button" className="button secondary" onClick={find} aria-label={`Find ${label.toLowerCase()}`}>
          Find
        </button>
      </div>
      {found.error && <ErrorMessage error={found.error} />}
      {searched && found.data && employees.length === 0 && <Empty>Nobody's name contains “{searched}”.</Empty>}
      {employees.length > 0 && (
        <ul className="found" aria-label={`Matches for ${label.toLowerCase()}`}>
          {employees.map((employee) => (
            <li key={employee.id}>
              <span>
                {employee.name} <span className="muted">{employee.title} · {employee.email}</span>
              </span>
              <button
                type="button"
                className="button secondary small"
                onClick={() => onChange({ id: employee.id, name: employee.name, email: employee.email })}
              >
                Choose {employee.name}
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
