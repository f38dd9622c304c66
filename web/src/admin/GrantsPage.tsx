// Grants administration (scope `admin`): every grant (who may see whose documents, with or
// without everyone below them, until when), a new grant, and revoking one.
import { useState, type FormEvent } from "react";
import { useMutation, useQuery } from "urql";
import { graphql } from "../gql";
import type { AllGrantsQuery, GrantInput } from "../gql/graphql";
import { Empty } from "../ui/Empty";
import { ErrorMessage } from "../ui/ErrorMessage";
import { formatDate } from "../ui/format";
import { Loading } from "../ui/Loading";
import { usePageTitle } from "../ui/usePageTitle";
import { EmployeePicker, type PickedEmployee } from "./EmployeePicker";

export const GrantFields = graphql(`
  fragment GrantFields on Grant {
    id
    granteeEmployee {
      id
      name
      email
    }
    granteeGroup {
      id
      name
    }
    targetEmployee {
      id
      name
      email
    }
    targetGroup {
      id
      name
    }
    includeReports
    expiresAt
  }
`);

const AllGrants = graphql(`
  query AllGrants {
    grants(all: true) {
      ...GrantFields
    }
    groups {
      id
      name
    }
  }
`);

const CreateGrant = graphql(`
  mutation CreateGrant($input: GrantInput!) {
    createGrant(input: $input) {
      ...GrantFields
    }
  }
`);

const RevokeGrant = graphql(`
  mutation RevokeGrant($id: ID!) {
    revokeGrant(id: $id)
  }
`);

type Grant = AllGrantsQuery["grants"][number];
type Group = AllGrantsQuery["groups"][number];

function granteeName(grant: Grant): string {
  return grant.granteeEmployee?.name ?? (grant.granteeGroup ? `Everyone in ${grant.granteeGroup.name}` : "Nobody");
}

function targetWords(grant: Grant): string {
  if (grant.targetEmployee) {
    return `${grant.targetEmployee.name}'s documents${grant.includeReports ? " and those of everyone below them" : ""}`;
  }
  return grant.targetGroup ? `the documents of everyone in ${grant.targetGroup.name}` : "no documents";
}

export function GrantsPage() {
  usePageTitle("Grants");
  const [{ data, error }, reexecute] = useQuery({ query: AllGrants, requestPolicy: "cache-and-network" });
  const [notice, setNotice] = useState("");
  // A new form (empty searches too) after each grant made.
  const [made, setMade] = useState(0);

  if (error && !data) return <ErrorMessage error={error} retry={() => reexecute({ requestPolicy: "network-only" })} />;
  if (!data) return <Loading label="Loading the grants" />;
  const { grants, groups } = data;

  return (
    <section className="page" aria-labelledby="grants-title">
      <h1 id="grants-title">Grants</h1>
      <p>
        A grant lets an employee, or everyone in a group, see documents they would not see through the org chart:
        those of one employee (and, if chosen, everyone below them) or of everyone in a group.
      </p>
      {notice && (
        <p className="success" role="status">
          {notice}
        </p>
      )}
      <div className="columns">
        <section aria-labelledby="grant-list-title">
          <h2 id="grant-list-title">{grants.length === 1 ? "1 grant" : `${grants.length} grants`}</h2>
          {grants.length === 0 ? (
            <Empty>Nobody has been granted anything.</Empty>
          ) : (
            <ul className="found grants" aria-label="Grants">
              {grants.map((grant) => (
                <GrantRow key={grant.id} grant={grant} onRevoked={(words) => setNotice(words)} />
              ))}
            </ul>
          )}
        </section>
        <section aria-labelledby="new-grant-title">
          <h2 id="new-grant-title">New grant</h2>
          <GrantForm
            key={made}
            groups={groups}
            onCreated={(words) => {
              setNotice(words);
              setMade((n) => n + 1);
            }}
          />
        </section>
      </div>
    </section>
  );
}

function GrantRow({ grant, onRevoked }: { grant: Grant; onRevoked: (words: string) => void }) {
  const [confirming, setConfirming] = useState(false);
  const [state, revoke] = useMutation(RevokeGrant);
  const who = granteeName(grant);
  const what = targetWords(grant);

  return (
    <li>
      <span>
        <strong>{who}</strong> may see {what}.{" "}
        <span className="muted">{grant.expiresAt ? `Until ${formatDate(grant.expiresAt)}.` : "No end date."}</span>
      </span>
      {confirming ? (
        <span className="confirm" role="group" aria-label={`Confirm revoking ${who}'s grant`}>
          <button
            type="button"
            className="button danger small"
            autoFocus
            disabled={state.fetching}
            onClick={async () => {
              const result = await revoke({ id: grant.id });
              if (!result.error) onRevoked(`Revoked: ${who} may no longer see ${what}.`);
            }}
          >
            Yes, revoke it
          </button>
          <button type="button" className="button secondary small" onClick={() => setConfirming(false)}>
            Keep it
          </button>
          {state.error && <ErrorMessage error={state.error} />}
        </span>
      ) : (
        <button
          type="button"
          className="button secondary small"
          aria-label={`Revoke: ${who} on ${what}`}
          onClick={() => setConfirming(true)}
        >
          Revoke
        </button>
      )}
    </li>
  );
}

type Kind = "employee" | "group";

function KindChoice({ name, legend, value, onChange }: { name: string; legend: string; value: Kind; onChange: (kind: Kind) => void }) {
  return (
    <fieldset className="choice">
      <legend>{legend}</legend>
      {(["employee", "group"] as const).map((kind) => (
        <label key={kind}>
          <input type="radio" name={name} value={kind} checked={value === kind} onChange={() => onChange(kind)} />
          {kind === "employee" ? "An employee" : "A group"}
        </label>
      ))}
    </fieldset>
  );
}

function GroupSelect({ id, label, groups, value, onChange }: { id: string; label: string; groups: Group[]; value: string; onChange: (id: string) => void }) {
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <select id={id} value={value} onChange={(e) => onChange(e.target.value)}>
        <option value="">Choose a group</option>
        {groups.map((group) => (
          <option key={group.id} value={group.id}>
            {group.name}
          </option>
        ))}
      </select>
    </div>
  );
}

function GrantForm({ groups, onCreated }: { groups: Group[]; onCreated: (words: string) => void }) {
  const [granteeKind, setGranteeKind] = useState<Kind>("employee");
  const [grantee, setGrantee] = useState<PickedEmployee | null>(null);
  const [granteeGroup, setGranteeGroup] = useState("");
  const [targetKind, setTargetKind] = useState<Kind>("employee");
  const [target, setTarget] = useState<PickedEmployee | null>(null);
  const [targetGroup, setTargetGroup] = useState("");
  const [includeReports, setIncludeReports] = useState(false);
  const [until, setUntil] = useState("");
  const [problem, setProblem] = useState("");
  const [state, create] = useMutation(CreateGrant);

  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    setProblem("");
    const input: GrantInput = { includeReports: targetKind === "employee" && includeReports };
    if (granteeKind === "employee") input.granteeEmployeeId = grantee?.id;
    else input.granteeGroupId = granteeGroup || undefined;
    if (targetKind === "employee") input.targetEmployeeId = target?.id;
    else input.targetGroupId = targetGroup || undefined;
    if (!input.granteeEmployeeId && !input.granteeGroupId) return setProblem("Choose who gets access.");
    if (!input.targetEmployeeId && !input.targetGroupId) return setProblem("Choose whose documents they may see.");
    // The end of the chosen day, in the user's time zone.
    if (until) input.expiresAt = new Date(`${until}T23:59:59`).toISOString();
    const result = await create({ input });
    if (result.data) {
      const grant = result.data.createGrant;
      onCreated(`Granted: ${granteeName(grant)} may see ${targetWords(grant)}.`);
    }
  };

  return (
    <form className="card stack" onSubmit={onSubmit} aria-label="New grant" noValidate>
      <KindChoice name="grantee-kind" legend="Who gets access" value={granteeKind} onChange={setGranteeKind} />
      {granteeKind === "employee" ? (
        <EmployeePicker id="grantee" label="Grantee" value={grantee} onChange={setGrantee} />
      ) : (
        <GroupSelect id="grantee-group" label="Grantee group" groups={groups} value={granteeGroup} onChange={setGranteeGroup} />
      )}
      <KindChoice name="target-kind" legend="Whose documents" value={targetKind} onChange={setTargetKind} />
      {targetKind === "employee" ? (
        <>
          <EmployeePicker id="target" label="Owner" value={target} onChange={setTarget} />
          <label className="check">
            <input type="checkbox" checked={includeReports} onChange={(e) => setIncludeReports(e.target.checked)} />
            Everyone below them too
          </label>
        </>
      ) : (
        <GroupSelect id="target-group" label="Owner group" groups={groups} value={targetGroup} onChange={setTargetGroup} />
      )}
      <div className="field">
        <label htmlFor="grant-until">Until (optional)</label>
        <input id="grant-until" type="date" value={until} onChange={(e) => setUntil(e.target.value)} />
      </div>
      {problem && (
        <p className="error" role="alert">
          {problem}
        </p>
      )}
      {state.error && <ErrorMessage error={state.error} />}
      <div className="actions">
        <button type="submit" className="button" disabled={state.fetching}>
          Create grant
        </button>
      </div>
    </form>
  );
}
