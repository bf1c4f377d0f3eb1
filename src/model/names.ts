// Name rules of Calico v1 (libcalico-go's validator): what a name, a tag, a
// label or an interface name may contain. Everything that ends up in chain
// names, ipset names or iptables arguments passes one of these first.

/** v0 names, node names and tags: `^[a-zA-Z0-9_.-]{1,128}$`. */
export const NAME_RE = /^[a-zA-Z0-9_.-]{1,128}$/;
/** v1 policy, profile and endpoint names may also contain `/`. */
export const RESOURCE_NAME_RE = /^[a-zA-Z0-9_./-]{1,128}$/;
export const LABEL_KEY_RE = /^[a-zA-Z0-9_./-]{1,512}$/;
/** At most 63 characters, starting and ending alphanumeric, or empty. */
export const LABEL_VALUE_RE = /^([a-zA-Z0-9]([a-zA-Z0-9_.-]{0,61}[a-zA-Z0-9])?)?$/;
export const INTERFACE_NAME_RE = /^[a-zA-Z0-9_-]{1,15}$/;

export const isValidName = (s: string): boolean => NAME_RE.test(s);
export const isValidResourceName = (s: string): boolean => RESOURCE_NAME_RE.test(s);
/** Tags are label keys without `/` (a tag T reads as the label T=""). */
export const isValidTag = (s: string): boolean => NAME_RE.test(s);
export const isValidLabelKey = (s: string): boolean => LABEL_KEY_RE.test(s);
export const isValidLabelValue = (s: string): boolean => LABEL_VALUE_RE.test(s);
export const isValidInterfaceName = (s: string): boolean => INTERFACE_NAME_RE.test(s);

export const NAME_RULE = 'must be 1-128 characters of [a-zA-Z0-9_.-]';
export const RESOURCE_NAME_RULE = 'must be 1-128 characters of [a-zA-Z0-9_./-]';
export const TAG_RULE = 'a tag must be 1-128 characters of [a-zA-Z0-9_.-]';
export const LABEL_KEY_RULE = 'a label key must be 1-512 characters of [a-zA-Z0-9_./-]';
export const LABEL_VALUE_RULE =
  'a label value must be empty or at most 63 characters of [a-zA-Z0-9_.-], starting and ending alphanumeric';
export const INTERFACE_NAME_RULE = 'an interface name must be 1-15 characters of [a-zA-Z0-9_-]';
