// People: the viewer at the root of their part of the org, reports opened level by level.
import { useQuery } from "urql";
import { graphql } from "../gql";
import { Empty } from "../ui/Empty";
import { ErrorMessage } from "../ui/ErrorMessage";
import { Loading } from "../ui/Loading";
import { usePageTitle } from "../ui/usePageTitle";
import { OrgNode } from "./OrgNode";

const MyOrg = graphql(`
  query MyOrg {
    me {
      id
      name
      title
      department
      manager {
        id
        name
      }
      directReports {
        ...OrgPerson
      }
    }
  }
`);

export function PeoplePage() {
  usePageTitle("People");
  const [{ data, error }] = useQuery({ query: MyOrg });
  const me = data?.me;

  return (
    <section className="page" aria-labelledby="people-title">
      <h1 id="people-title">My reports</h1>
      {error ? (
        <ErrorMessage error={error} />
      ) : !me ? (
        <Loading label="Loading your org" />
      ) : (
        <>
          <p className="muted">
            {me.name}, {me.title}
            {me.manager && `, reporting to ${me.manager.name}`}.
          </p>
          {me.directReports.length === 0 ? (
            <Empty>Nobody reports to you.</Empty>
          ) : (
            <ul className="org-tree" aria-label={`Reports of ${me.name}`}>
              {me.directReports.map((person) => (
                <OrgNode key={person.id} person={person} />
              ))}
            </ul>
          )}
        </>
      )}
    </section>
  );
}
