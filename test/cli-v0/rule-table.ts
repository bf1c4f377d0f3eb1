// Rule texts covering every branch of the v0 grammar: each action, no
// protocol / tcp / udp / icmp / icmpv6, from and to with each of ports, tag and
// cidr alone and together, ICMP type with and without code, IPv4 and IPv6.
// `shown` is how `rule show` prints the rule when that differs from the input
// (ranges written a-b, bare addresses, host bits, one-port ranges).

export interface RuleCase {
  text: string;
  shown?: string;
}

export const RULE_CASES: readonly RuleCase[] = [
  // no protocol
  { text: 'allow' },
  { text: 'deny' },
  { text: 'allow from tag WEB' },
  { text: 'deny from cidr 10.0.0.0/8' },
  { text: 'allow from tag web.v2-prod_1 cidr 192.168.0.0/16' },
  { text: 'allow to tag DB' },
  { text: 'deny to cidr 172.16.0.0/12' },
  { text: 'allow to tag DB cidr 10.1.0.0/16' },
  { text: 'allow from tag A to tag B' },
  { text: 'deny from cidr 10.0.0.0/8 to cidr 10.1.2.0/24' },
  { text: 'allow from tag A cidr fd00::/8 to tag B cidr fd00:1::/32' },
  { text: 'allow from cidr 10.2.3.4', shown: 'allow from cidr 10.2.3.4/32' },
  { text: 'allow to cidr 10.2.3.4/16', shown: 'allow to cidr 10.2.0.0/16' },
  { text: 'deny from cidr 2001:DB8::1', shown: 'deny from cidr 2001:db8::1/128' },
  // tcp and udp
  { text: 'allow tcp' },
  { text: 'deny udp' },
  { text: 'allow tcp to ports 80,443' },
  { text: 'allow tcp to ports 3306' },
  { text: 'allow udp to ports 53' },
  { text: 'allow tcp from ports 1024:65535' },
  { text: 'allow udp from ports 1024-65535', shown: 'allow udp from ports 1024:65535' },
  { text: 'allow udp to ports 80,8000:8080,443' },
  { text: 'allow tcp to ports 7000-7010,22', shown: 'allow tcp to ports 7000:7010,22' },
  { text: 'allow tcp to ports 80:80', shown: 'allow tcp to ports 80' },
  { text: 'allow tcp from tag applications' },
  { text: 'allow tcp from tag applications to ports 3306' },
  { text: 'deny tcp from cidr 10.0.0.0/8' },
  { text: 'allow tcp from ports 5000 tag CLIENT cidr 10.0.0.0/8' },
  { text: 'allow udp from ports 67,68 to ports 67,68' },
  { text: 'allow tcp to tag DB' },
  { text: 'deny tcp to cidr 192.168.1.0/24' },
  { text: 'allow tcp to ports 22 tag ADMIN cidr 10.10.0.0/16' },
  { text: 'allow udp from tag A cidr 10.0.0.0/8 to ports 123 tag B cidr 10.1.0.0/16' },
  { text: 'deny tcp from ports 1:1023 tag X cidr fd00::/8 to ports 443 tag Y cidr fd00:1::/64' },
  { text: 'allow tcp from cidr ::/0 to cidr ::1/128' },
  // icmp
  { text: 'allow icmp' },
  { text: 'allow icmp type 8' },
  { text: 'deny icmp type 3 code 4' },
  { text: 'allow icmp type 0 code 0' },
  { text: 'allow icmp type 254 code 255' },
  { text: 'allow icmp from tag PINGERS' },
  { text: 'allow icmp type 8 from cidr 10.0.0.0/8' },
  { text: 'deny icmp type 8 to tag WEB cidr 10.0.0.0/24' },
  { text: 'allow icmp type 8 code 0 from tag A cidr 10.0.0.0/8 to tag B cidr 10.1.0.0/16' },
  // icmpv6
  { text: 'allow icmpv6' },
  { text: 'allow icmpv6 type 128' },
  { text: 'deny icmpv6 type 1 code 3' },
  { text: 'allow icmpv6 from tag A' },
  { text: 'allow icmpv6 type 135 from cidr fe80::/10' },
  { text: 'allow icmpv6 type 128 code 0 from tag A cidr fd00::/8 to tag B cidr fd00:2::/48' },
];
