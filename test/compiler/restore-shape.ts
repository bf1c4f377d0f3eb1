// Checks that restore text has only the line shapes Tabby writes.
import type { Test } from 'tap';

export const HOSTILE = [
  'x" -j ACCEPT',
  "x' -j ACCEPT",
  'a b',
  'evil\n-A INPUT -j ACCEPT',
  '-j ACCEPT',
  'x\r\nCOMMIT',
  '$(reboot)',
  'k8s/ns "quoted"',
];

/** Every line of restore input must be one of the forms Tabby writes, built from safe tokens. */
export function checkRestoreText(t: Test, text: string): void {
  const line = /^(\*filter|COMMIT|:cali-[A-Za-z0-9_.-]{1,23} - \[0:0\]|-[AI] (cali-[A-Za-z0-9_.-]{1,23}|INPUT|FORWARD|OUTPUT)( 1)? -m comment --comment "cali:[A-Za-z0-9_-]{16}"( -m comment --comment "[A-Za-z0-9 .,:()-]+")?( [!A-Za-z0-9_.:/,+-]+)*( --log-prefix "[a-z-]+: " --log-level 5)?)$/;
  const bad = text.split('\n').filter((l) => l !== '' && !line.test(l));
  t.same(bad, [], 'every restore line has the expected shape');
  t.notOk(/-j ACCEPT/.test(text.replace(/(conntrack --ctstate RELATED,ESTABLISHED|Policy explicitly accepted packet\.".*?|icmpv6-type \d+) -j ACCEPT/g, '')), 'no ACCEPT except Tabby\'s own');
}

