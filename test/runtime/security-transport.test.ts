import assert from 'node:assert/strict';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import express from 'express';
import { clientAddress } from '../../src/runtime/security/address';
import { generateDevCertificate } from '../../src/runtime/security/dev-cert';
import {
  applyTransport,
  createHttpsServer,
  createRedirectServer,
  DEFAULT_HSTS,
  loadTlsCredentials,
  type TransportConfig,
  tlsFromEnv,
  transportWarnings,
} from '../../src/runtime/security/transport';
import { send } from './fixtures/security/http';

/** HTTPS with a generated certificate, HSTS only where RFC 6797 allows it, the redirect listener. */
const HSTS = 'max-age=31536000; includeSubDomains';
const cert = generateDevCertificate();
const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function app(config: TransportConfig): express.Express {
  const application = express();
  applyTransport(application, config);
  application.get('/r4/metadata', (req, res) => {
    res.json({ resourceType: 'CapabilityStatement', client: clientAddress(req) });
  });
  return application;
}

async function listen(server: http.Server | https.Server): Promise<number> {
  server.listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  return (server.address() as AddressInfo).port;
}

async function close(server: http.Server | https.Server): Promise<void> {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
}

function tlsGet(
  port: number,
  options: https.RequestOptions = {},
): Promise<{ status: number; headers: http.IncomingHttpHeaders; text: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port,
        path: '/r4/metadata',
        servername: 'localhost',
        ca: cert.certPem,
        agent: false,
        ...options,
      },
      (res) => {
        let text = '';
        res.on('data', (chunk: Buffer) => {
          text += chunk.toString();
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

const httpsConfig: TransportConfig = { mode: 'https', hsts: DEFAULT_HSTS, trustProxy: false };

describe('development certificate', () => {
  it('is a self-signed P-256 certificate for localhost and loopback, matching its key', () => {
    const x509 = new X509Certificate(cert.certPem);
    assert.equal(x509.subject, 'CN=localhost');
    assert.equal(x509.subjectAltName, 'DNS:localhost, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1');
    assert.equal(x509.checkPrivateKey(createPrivateKey(cert.keyPem)), true);
    assert.equal(x509.verify(x509.publicKey), true);
    assert.equal(x509.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
  });

  it('is valid from now for the days asked', () => {
    const now = new Date('2030-01-15T12:00:00Z');
    const x509 = new X509Certificate(
      generateDevCertificate({ hosts: ['fhir.local'], days: 30, now }).certPem,
    );
    assert.equal(new Date(x509.validFrom).toISOString(), '2030-01-15T11:00:00.000Z');
    assert.equal(new Date(x509.validTo).toISOString(), '2030-02-14T12:00:00.000Z');
    assert.equal(x509.subjectAltName, 'DNS:fhir.local');
  });
});

describe('TLS credentials at start-up', () => {
  function dir(): string {
    const created = mkdtempSync(path.join(tmpdir(), 'fhirgen-tls-'));
    dirs.push(created);
    return created;
  }

  it('reads key and certificate from files, or PEM from the environment', () => {
    const folder = dir();
    writeFileSync(path.join(folder, 'key.pem'), cert.keyPem);
    writeFileSync(path.join(folder, 'cert.pem'), cert.certPem);
    const fromFiles = loadTlsCredentials({
      keyFile: path.join(folder, 'key.pem'),
      certFile: path.join(folder, 'cert.pem'),
    });
    assert.equal(fromFiles.cert, cert.certPem);
    const fromEnv = loadTlsCredentials(tlsFromEnv({ TLS_KEY_PEM: cert.keyPem, TLS_CERT_PEM: cert.certPem }));
    assert.equal(fromEnv.key, cert.keyPem);
  });

  it('names the missing setting', () => {
    assert.throws(
      () => loadTlsCredentials(undefined),
      /^SecurityConfigError: tls.key: https mode needs it: set TLS_KEY_PEM or TLS_KEY_FILE$/,
    );
    assert.throws(() => loadTlsCredentials({ keyPem: cert.keyPem }), /tls.cert: https mode needs it/);
  });

  it('says which file cannot be read', () => {
    const missing = path.join(dir(), 'nope.pem');
    assert.throws(
      () => loadTlsCredentials({ keyFile: missing, certPem: cert.certPem }),
      (error: Error) => error.message === `tls.key: cannot read ${missing} (ENOENT)`,
    );
  });

  it('refuses garbage and a key that does not match the certificate', () => {
    assert.throws(
      () => loadTlsCredentials({ keyPem: 'garbage', certPem: cert.certPem }),
      /tls.key: is not a readable private key/,
    );
    assert.throws(
      () => loadTlsCredentials({ keyPem: cert.keyPem, certPem: 'garbage' }),
      /tls.cert: is not a readable X.509 certificate/,
    );
    const other = generateDevCertificate();
    assert.throws(
      () => loadTlsCredentials({ keyPem: other.keyPem, certPem: cert.certPem }),
      /tls: the private key does not belong to the certificate/,
    );
  });
});

describe('HTTPS server', () => {
  let server: https.Server;
  let port: number;
  before(async () => {
    server = createHttpsServer(
      app(httpsConfig),
      loadTlsCredentials({ keyPem: cert.keyPem, certPem: cert.certPem }),
    );
    port = await listen(server);
  });
  after(async () => {
    await close(server);
  });

  it('answers a real TLS request verified against the generated certificate, with HSTS', async () => {
    const response = await tlsGet(port);
    assert.equal(response.status, 200);
    assert.equal(JSON.parse(response.text).resourceType, 'CapabilityStatement');
    assert.equal(response.headers['strict-transport-security'], HSTS);
  });

  it('sends helmet headers and no X-Powered-By', async () => {
    const response = await tlsGet(port);
    assert.equal(response.headers['x-powered-by'], undefined);
    assert.equal(response.headers['x-content-type-options'], 'nosniff');
    assert.equal(response.headers['content-security-policy'], "default-src 'none';frame-ancestors 'none'");
    assert.equal(response.headers['x-frame-options'], 'SAMEORIGIN');
  });

  it('refuses TLS 1.1', async () => {
    await assert.rejects(
      tlsGet(port, { minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' }),
      // The server answers the ClientHello with a protocol_version alert (RFC 8446 §6.2, alert 70).
      /alert protocol version/,
    );
  });

  it('is not trusted by a client that does not know the certificate', async () => {
    await assert.rejects(tlsGet(port, { ca: undefined }), /self-signed|self signed/);
  });
});

describe('plain HTTP', () => {
  it('sends no HSTS and warns at start-up when no proxy is trusted', async () => {
    const config: TransportConfig = { mode: 'http', hsts: DEFAULT_HSTS, trustProxy: false };
    const server = app(config).listen(0, '127.0.0.1');
    const port = await listen(server);
    try {
      const response = await send(`http://127.0.0.1:${port}/r4/metadata`, {
        headers: { 'X-Forwarded-Proto': 'https' },
      });
      assert.equal(response.status, 200);
      assert.equal(response.headers['strict-transport-security'], undefined);
      assert.equal(response.headers['x-powered-by'], undefined);
    } finally {
      await close(server);
    }
    assert.equal(transportWarnings(config).length, 1);
    assert.match(transportWarnings(config)[0] as string, /plain HTTP without a trusted proxy/);
  });

  it('believes X-Forwarded-Proto and X-Forwarded-For only from the trusted proxy address', async () => {
    const config: TransportConfig = { mode: 'http', hsts: DEFAULT_HSTS, trustProxy: '127.0.0.2' };
    assert.deepEqual(transportWarnings(config), []);
    const server = app(config).listen(0, '127.0.0.1');
    const port = await listen(server);
    const headers = { 'X-Forwarded-Proto': 'https', 'X-Forwarded-For': '203.0.113.9' };
    try {
      const viaProxy = await send(`http://127.0.0.1:${port}/r4/metadata`, {
        headers,
        localAddress: '127.0.0.2',
      });
      assert.equal(viaProxy.headers['strict-transport-security'], HSTS);
      assert.equal(JSON.parse(viaProxy.text).client, '203.0.113.9');
      const direct = await send(`http://127.0.0.1:${port}/r4/metadata`, {
        headers,
        localAddress: '127.0.0.3',
      });
      assert.equal(direct.headers['strict-transport-security'], undefined);
      assert.equal(JSON.parse(direct.text).client, '127.0.0.3');
    } finally {
      await close(server);
    }
  });

  it('warns when every proxy is trusted', () => {
    assert.match(
      transportWarnings({ mode: 'http', hsts: DEFAULT_HSTS, trustProxy: true }).join(),
      /can forge X-Forwarded-For/,
    );
  });
});

describe('redirect listener', () => {
  let server: http.Server;
  let port: number;
  before(async () => {
    server = createRedirectServer(8443);
    port = await listen(server);
  });
  after(async () => {
    await close(server);
  });

  it('answers 301 to the same path and query on HTTPS, for every method, without HSTS', async () => {
    for (const method of ['GET', 'POST', 'DELETE']) {
      const response = await send(`http://127.0.0.1:${port}/r4/Patient?name=x&_count=2`, {
        method,
        headers: { Host: 'fhir.example.test' },
      });
      assert.equal(response.status, 301);
      assert.equal(response.headers.location, 'https://fhir.example.test:8443/r4/Patient?name=x&_count=2');
      assert.equal(response.headers['strict-transport-security'], undefined);
      assert.equal(response.text, '');
    }
  });

  it('keeps only the host name of the Host header, and refuses a malformed one', async () => {
    const withPort = await send(`http://127.0.0.1:${port}/r4/metadata`, {
      headers: { Host: 'fhir.example.test:80' },
    });
    assert.equal(withPort.headers.location, 'https://fhir.example.test:8443/r4/metadata');
    const evil = await send(`http://127.0.0.1:${port}/`, { headers: { Host: 'evil.test/@x' } });
    assert.equal(evil.status, 400);
  });

  it('uses the configured public host over the Host header', async () => {
    const fixed = createRedirectServer(443, 'fhir.example.org');
    const fixedPort = await listen(fixed);
    try {
      const response = await send(`http://127.0.0.1:${fixedPort}/r4/metadata`, {
        headers: { Host: 'evil.test' },
      });
      assert.equal(response.headers.location, 'https://fhir.example.org/r4/metadata');
    } finally {
      await close(fixed);
    }
  });
});
