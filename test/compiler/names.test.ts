import { createHash } from 'node:crypto';
import t from 'tap';
import { CompileError } from '../../compiler/errors.js';
import { endpointChainName, ipSetName, lengthLimitedName, policyChainName, profileChainName } from '../../compiler/names.js';

const sha256url = (s: string) => createHash('sha256').update(s).digest('base64url');

t.test('chain names: verbatim when short and plain, else prefix_hash cut to 28', async (t) => {
  t.equal(policyChainName('inbound', 'database'), 'cali-pi-database');
  t.equal(policyChainName('outbound', 'database'), 'cali-po-database');
  t.equal(profileChainName('inbound', 'WEB'), 'cali-pri-WEB');
  t.equal(profileChainName('outbound', 'APP'), 'cali-pro-APP');
  t.equal(endpointChainName(true, 'cali1234'), 'cali-tw-cali1234');
  t.equal(endpointChainName(false, 'cali347609b8bd7'), 'cali-fw-cali347609b8bd7');

  const exact = 'a'.repeat(20); // 8 + 20 = 28
  t.equal(policyChainName('inbound', exact), `cali-pi-${exact}`);
  const long = 'k8s_ns.advanced-policy-demo';
  const hashed = profileChainName('inbound', long);
  t.equal(hashed, ('cali-pri-_' + sha256url(long)).slice(0, 28));
  t.equal(hashed.length, 28);
  t.equal(profileChainName('outbound', long), ('cali-pro-_' + sha256url(long)).slice(0, 28));
  t.equal(policyChainName('inbound', 'advanced-policy-demo.allow-dns'), ('cali-pi-_' + sha256url('advanced-policy-demo.allow-dns')).slice(0, 28));
});

t.test('names with characters unsafe in a chain name are hashed', async (t) => {
  for (const name of ['ns/name', '_starts-with-underscore', '-j', '!x', 'a b', 'q"uote', 'new\nline', '']) {
    const n = policyChainName('inbound', name);
    t.match(n, /^cali-pi-_[A-Za-z0-9_-]{19}$/, JSON.stringify(name));
    t.equal(n, ('cali-pi-_' + sha256url(name)).slice(0, 28));
  }
  t.not(policyChainName('inbound', 'a/b'), policyChainName('inbound', 'a_b'), 'different names stay different');
  t.equal(lengthLimitedName('cali-x-', 'ok.name'), 'cali-x-ok.name');
});

t.test('interface names are validated, never hashed', async (t) => {
  for (const bad of ['', 'cali 1', 'cali"1', 'cali;1', 'a'.repeat(16), 'cali1\n']) {
    t.throws(() => endpointChainName(true, bad), CompileError, JSON.stringify(bad));
  }
});

t.test('IP set names: cali40/cali60 + "s:" + base64url sha224("s:" + canonical), cut to 31', async (t) => {
  // Computed independently (Python hashlib) for these canonical selectors.
  const byHand: [string, string][] = [
    ['has(WEB)', 'cali40s:jhECsDJ2ftUH_MNbOP2IWOt'],
    ['has(APP_7890)', 'cali40s:0zf167K4fYbSBpCm-XiacuX'],
    ['role == "database"', 'cali40s:yQy16c-N73jNS3bISglMhgD'],
    ['role == "frontend"', 'cali40s:lJVGDaqTNzSq4oOWKtH8pYj'],
    ['calico/k8s_ns == "advanced-policy-demo"', 'cali40s:uK4R6n61sYuSXSz0NO3eBIb'],
    ['(calico/k8s_ns == "kube-system" && k8s-app == "kube-dns")', 'cali40s:byS7HoDNre4fq8pZwcx7DNw'],
  ];
  for (const [canonical, want] of byHand) {
    const id = 's:' + createHash('sha224').update('s:' + canonical).digest('base64url');
    t.equal(ipSetName(4, id), want, canonical);
    t.equal(ipSetName(6, id), want.replace('cali40', 'cali60'));
    t.equal(want.length, 31);
  }
  t.throws(() => ipSetName(4, 's:abc def'), CompileError);
  t.throws(() => ipSetName(4, 'role == "x"'), CompileError);
});
