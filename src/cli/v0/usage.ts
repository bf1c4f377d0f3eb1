// Help text of the v0 `calicoctl profile` commands.

/** The command forms, printed with every usage error. */
export const PROFILE_USAGE_LINES = `Usage:
  calicoctl profile show [--detailed]
  calicoctl profile add <PROFILE>
  calicoctl profile remove <PROFILE> [--no-check]
  calicoctl profile <PROFILE> tag show
  calicoctl profile <PROFILE> tag (add|remove) <TAG>
  calicoctl profile <PROFILE> rule add (inbound|outbound) [--at=<POSITION>]
    (allow|deny) [RULE]
  calicoctl profile <PROFILE> rule remove (inbound|outbound)
    (--at=<POSITION> | (allow|deny) [RULE])
  calicoctl profile <PROFILE> rule show
  calicoctl profile <PROFILE> rule json
  calicoctl profile <PROFILE> rule update

RULE is one of:
  (tcp|udp) [from [ports <SRCPORTS>] [tag <SRCTAG>] [cidr <SRCCIDR>]]
            [to   [ports <DSTPORTS>] [tag <DSTTAG>] [cidr <DSTCIDR>]]
  icmp [type <ICMPTYPE> [code <ICMPCODE>]]
       [from [tag <SRCTAG>] [cidr <SRCCIDR>]] [to [tag <DSTTAG>] [cidr <DSTCIDR>]]
  icmpv6 [type <ICMPTYPE> [code <ICMPCODE>]]
         [from [tag <SRCTAG>] [cidr <SRCCIDR>]] [to [tag <DSTTAG>] [cidr <DSTCIDR>]]
  [from [tag <SRCTAG>] [cidr <SRCCIDR>]] [to [tag <DSTTAG>] [cidr <DSTCIDR>]]
`;

export const PROFILE_USAGE = `${PROFILE_USAGE_LINES}
Description:
  Manage profiles the calicoctl v0 way: their tags and their inbound and
  outbound rules. These edit the same profiles as 'calicoctl apply' of a
  profile resource (inbound rules are its ingress rules, outbound its egress).

Options:
  -h --help         Show this screen.
  --detailed        Also show the endpoints that use each profile.
  --no-check        Remove a profile even while endpoints use it.
  --at=<POSITION>   The 1-based position of the rule to insert or remove.
                    By default 'rule add' appends.

Values:
  <SRCPORTS>, <DSTPORTS>  Comma-separated ports and ranges: 80,443,8000:8080
                          (a range may also be written 8000-8080).
  <SRCTAG>, <DSTTAG>      Tag names: letters, digits, '.', '_' and '-'.
  <SRCCIDR>, <DSTCIDR>    An IPv4 or IPv6 network such as 10.0.0.0/8; both
                          CIDRs of a rule, and icmp (IPv4) or icmpv6 (IPv6),
                          must agree on the IP version.
  <ICMPTYPE>, <ICMPCODE>  Numbers from 0 to 255.

'rule update' reads the rules as JSON on standard input, in the form that
'rule json' prints: {"id": ..., "inbound_rules": [...], "outbound_rules": [...]}.

Examples:
  Allow TCP traffic to ports 80 and 443, and pings, into profile WEB:
  $ calicoctl profile add WEB
  $ calicoctl profile WEB rule add inbound allow tcp to ports 80,443
  $ calicoctl profile WEB rule add inbound --at=2 allow icmp type 8
`;
