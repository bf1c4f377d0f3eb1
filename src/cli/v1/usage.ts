// Help texts of calicoctl and its resource commands.

const DATASTORE_INTRO = `Set ETCD_ENDPOINTS (comma-separated URLs) to use an etcd v3 datastore; otherwise
the embedded datastore in TABBY_DATA_DIR is used (default /var/lib/tabby for root,
~/.local/share/tabby for other users).

`;

export const TOP_USAGE = `Usage:
  calicoctl [options] <command> [<args>...]

    create    Create a resource by filename or stdin.
    replace   Replace a resource by filename or stdin.
    apply     Apply a resource by filename or stdin.  This creates a resource
              if it does not exist, and replaces a resource if it does exist.
    delete    Delete a resource identified by file, stdin or resource type and
              name.
    get       Get a resource identified by resource type and name.
    profile   Manage profiles with the v0 commands (add, remove, show, rule, tag).

Options:
  -h --help  Show this screen.

Description:
  The calicoctl command line tool is used to manage Calico network and security
  policy and to view endpoint configuration.

  See 'calicoctl <command> --help' to read about a specific subcommand.
`;

export const CREATE_USAGE = `${DATASTORE_INTRO}Create a resource by filename or stdin.

Usage:
  calicoctl create --filename=<FILENAME> [--skip-exists]

Examples:
  # Create a policy using the data in policy.yaml.
  calicoctl create -f ./policy.yaml

  # Create a policy based on the JSON passed into stdin.
  cat policy.json | calicoctl create -f -

Options:
  -h --help                 Show this screen.
  -f --filename=<FILENAME>  Filename to use to create the resource.  If set to "-" loads from stdin.
  -s --skip-exists          Skip over and treat as successful any attempts to create an entry that
                            already exists.
`;

export const APPLY_USAGE = `${DATASTORE_INTRO}Apply a resource by filename or stdin.  This creates a resource
if it does not exist, and replaces a resource if it does exist.

Usage:
  calicoctl apply --filename=<FILENAME>

Examples:
  # Apply a policy using the data in policy.yaml.
  calicoctl apply -f ./policy.yaml

  # Apply a policy based on the JSON passed into stdin.
  cat policy.json | calicoctl apply -f -

Options:
  -h --help                 Show this screen.
  -f --filename=<FILENAME>  Filename to use to apply the resource.  If set to "-" loads from stdin.
`;

export const REPLACE_USAGE = `${DATASTORE_INTRO}Replace a resource by filename or stdin.

If replacing an existing resource, the complete resource spec must be provided. This can be obtained by
$ calicoctl get -o yaml <TYPE> <NAME>

Usage:
  calicoctl replace --filename=<FILENAME>

Examples:
  # Replace a policy using the data in policy.yaml.
  calicoctl replace -f ./policy.yaml

  # Replace a policy based on the YAML passed into stdin.
  cat policy.yaml | calicoctl replace -f -

Options:
  -h --help                 Show this screen.
  -f --filename=<FILENAME>  Filename to use to replace the resource.  If set to "-" loads from stdin.
`;

export const DELETE_USAGE = `${DATASTORE_INTRO}Delete a resource identified by file, stdin or resource type and name.

Usage:
  calicoctl delete ([--node=<NODE>] [--orchestrator=<ORCH>] [--workload=<WORKLOAD>]
                    (<KIND> <NAME>) |
                    --filename=<FILE>)
                   [--skip-not-exists]

Examples:
  # Delete a policy using the type and name specified in policy.yaml.
  calicoctl delete -f ./policy.yaml

  # Delete a policy based on the type and name in the YAML passed into stdin.
  cat policy.yaml | calicoctl delete -f -

  # Delete policy with name "foo"
  calicoctl delete policy foo

Options:
  -h --help                 Show this screen.
  -s --skip-not-exists      Skip over and treat as successful, resources that don't exist.
  -f --filename=<FILENAME>  Filename to use to delete the resource.  If set to "-" loads from stdin.
  -n --node=<NODE>          The node (the hostname of the compute server unless the nodes are
                            named explicitly).
     --orchestrator=<ORCH>  The orchestrator (only used for workload endpoints).
     --workload=<WORKLOAD>  The workload (only used for workload endpoints).

Description:
  Valid resource types are hostEndpoint, workloadEndpoint, policy and profile.  The <KIND>
  is case insensitive and may be pluralized or abbreviated (pro, pol, wep, hep).

  Attempting to delete a resource that does not exist is treated as a terminating error unless
  the --skip-not-exists flag is set.

  The resources are deleted in the order they are specified.  In the event of a failure
  deleting a specific resource it is possible to work out which resource failed based on the
  number of resources successfully deleted.
`;

export const GET_USAGE = `${DATASTORE_INTRO}Display one or many resources identified by resource type and name.

Usage:
  calicoctl get [--node=<NODE>] [--orchestrator=<ORCH>] [--workload=<WORKLOAD>]
                <KIND> [<NAME>] [--output=<OUTPUT>]

Examples:
  # List all policy in default output format.
  calicoctl get policy

  # List a specific policy in YAML format
  calicoctl get -o yaml policy my-policy-1

Options:
  -h --help                    Show this screen.
  -o --output=<OUTPUT FORMAT>  Output format.  One of: ps, wide, yaml, json.  [Default: ps]
  -n --node=<NODE>             The node (the hostname of the compute server unless the nodes
                               are named explicitly).
     --orchestrator=<ORCH>     The orchestrator (only used for workload endpoints).
     --workload=<WORKLOAD>     The workload (only used for workload endpoints).

Description:
  Valid resource types are hostEndpoint, workloadEndpoint, policy and profile.  The <KIND>
  is case insensitive and may be pluralized or abbreviated (pro, pol, wep, hep).

  Attempting to get resources that do not exist will simply return no results.

  The name and other identifiers are optional and are wildcarded when omitted.

  Output formats:
    ps    A table of the identifying fields (the default).
    wide  As per ps, with more columns.
    yaml  The full resources as a YAML list.
    json  The full resources as a JSON array.

  The YAML and JSON output is valid input to create, apply, replace and delete.
`;
