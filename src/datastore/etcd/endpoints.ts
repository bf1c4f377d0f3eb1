// ETCD_ENDPOINTS as calicoctl reads it: comma-separated http(s) URLs.

export class EndpointsError extends Error {
  constructor(public readonly variable: string, public readonly value: string, detail: string) {
    super(`${variable}=${JSON.stringify(value)}: ${detail}`);
    this.name = 'EndpointsError';
  }
}

/** Parses "http://10.0.0.1:2379,http://10.0.0.2:2379" into host URLs for etcd3; throws EndpointsError. */
export function parseEndpoints(value: string, variable = 'ETCD_ENDPOINTS'): string[] {
  const parts = value.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (parts.length === 0) throw new EndpointsError(variable, value, 'expected at least one endpoint such as http://127.0.0.1:2379');
  return parts.map((part) => {
    let url: URL;
    try {
      url = new URL(part);
    } catch {
      throw new EndpointsError(variable, value, `endpoint ${JSON.stringify(part)} is not a URL such as http://127.0.0.1:2379`);
    }
    if (url.protocol === 'https:') {
      throw new EndpointsError(variable, value, `endpoint ${JSON.stringify(part)} uses https, but TLS settings are not supported yet; use http://`);
    }
    if (url.protocol !== 'http:' || url.hostname === '') {
      throw new EndpointsError(variable, value, `endpoint ${JSON.stringify(part)} must be http://host:port`);
    }
    if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash || url.username) {
      throw new EndpointsError(variable, value, `endpoint ${JSON.stringify(part)} must be http://host:port with no path, query or credentials`);
    }
    return `http://${url.hostname}:${url.port || '2379'}`;
  });
}
