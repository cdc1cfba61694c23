import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { isIPv4, isIPv6 } from 'node:net';

/**
 * A self-signed development certificate (ECDSA P-256, SHA-256) made with Node's crypto only, for
 * `fhirgen generate project --https`: X.509 v3 (RFC 5280) encoded by hand in DER, since Node can sign
 * but not build certificates. Clients trust it only when told to; production uses a certificate
 * from a real authority.
 */
export interface DevCertificateOptions {
  /** DNS names and IP addresses for subjectAltName; the first one is also the common name. */
  hosts?: string[];
  days?: number;
  now?: Date;
}

export interface DevCertificate {
  keyPem: string;
  certPem: string;
}

export function generateDevCertificate(options: DevCertificateOptions = {}): DevCertificate {
  const hosts = options.hosts ?? ['localhost', '127.0.0.1', '::1'];
  const now = options.now ?? new Date();
  const days = options.days ?? 365;
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const name = seq(set(seq(oid('2.5.4.3'), utf8(hosts[0] ?? 'localhost'))));
  // RFC 5280 §4.1.2.5: an hour of margin for clocks that are a little behind.
  const notBefore = new Date(now.getTime() - 60 * 60 * 1000);
  const notAfter = new Date(now.getTime() + days * 24 * 60 * 60 * 1000);
  const tbs = seq(
    explicit(0, integer(Buffer.from([2]))),
    integer(serialNumber()),
    ECDSA_SHA256,
    name,
    seq(time(notBefore), time(notAfter)),
    name,
    publicKey.export({ type: 'spki', format: 'der' }),
    explicit(3, seq(...extensions(hosts))),
  );
  const signature = sign('sha256', tbs, { key: privateKey, dsaEncoding: 'der' });
  const certificate = seq(tbs, ECDSA_SHA256, bitString(signature));
  return {
    keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    certPem: pem('CERTIFICATE', certificate),
  };
}

function extensions(hosts: string[]): Buffer[] {
  const altNames = hosts.map((host) => {
    if (isIPv4(host)) return tagged(0x87, Buffer.from(host.split('.').map(Number)));
    if (isIPv6(host)) return tagged(0x87, ipv6Bytes(host));
    return tagged(0x82, Buffer.from(host, 'ascii'));
  });
  return [
    // basicConstraints CA: the certificate is its own trust anchor for development clients.
    extension('2.5.29.19', true, seq(tagged(0x01, Buffer.from([0xff])))),
    // keyUsage (RFC 5280 §4.2.1.3): digitalSignature and keyCertSign.
    extension('2.5.29.15', true, tagged(0x03, Buffer.from([0x02, 0x84]))),
    // extKeyUsage: serverAuth.
    extension('2.5.29.37', false, seq(oid('1.3.6.1.5.5.7.3.1'))),
    extension('2.5.29.17', false, seq(...altNames)),
  ];
}

function extension(id: string, critical: boolean, value: Buffer): Buffer {
  const parts = [oid(id)];
  if (critical) parts.push(tagged(0x01, Buffer.from([0xff])));
  parts.push(tagged(0x04, value));
  return seq(...parts);
}

function serialNumber(): Buffer {
  const bytes = randomBytes(16);
  // RFC 5280 §4.1.2.2: positive, at most 20 octets.
  bytes[0] = ((bytes[0] as number) & 0x7f) | 0x01;
  return bytes;
}

function ipv6Bytes(address: string): Buffer {
  const [head = '', tail = ''] = address.split('::');
  const headParts = head ? head.split(':') : [];
  const tailParts = tail ? tail.split(':') : [];
  const fill = address.includes('::') ? 8 - headParts.length - tailParts.length : 0;
  const groups = [...headParts, ...Array<string>(fill).fill('0'), ...tailParts].map((group) =>
    parseInt(group, 16),
  );
  return Buffer.from(groups.flatMap((group) => [(group >> 8) & 0xff, group & 0xff]));
}

// DER (ITU-T X.690) building blocks.
function length(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let rest = n; rest > 0; rest >>= 8) bytes.unshift(rest & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function tagged(tag: number, content: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), length(content.length), content]);
}

function seq(...parts: Buffer[]): Buffer {
  return tagged(0x30, Buffer.concat(parts));
}

function set(...parts: Buffer[]): Buffer {
  return tagged(0x31, Buffer.concat(parts));
}

function explicit(n: number, content: Buffer): Buffer {
  return tagged(0xa0 + n, content);
}

function integer(bytes: Buffer): Buffer {
  return tagged(0x02, (bytes[0] as number) & 0x80 ? Buffer.concat([Buffer.from([0]), bytes]) : bytes);
}

function bitString(bytes: Buffer): Buffer {
  return tagged(0x03, Buffer.concat([Buffer.from([0]), bytes]));
}

function utf8(text: string): Buffer {
  return tagged(0x0c, Buffer.from(text, 'utf8'));
}

function oid(dotted: string): Buffer {
  const [first = 0, second = 0, ...rest] = dotted.split('.').map(Number);
  const bytes = [first * 40 + second];
  for (const arc of rest) {
    const encoded = [arc & 0x7f];
    for (let value = arc >> 7; value > 0; value >>= 7) encoded.unshift((value & 0x7f) | 0x80);
    bytes.push(...encoded);
  }
  return tagged(0x06, Buffer.from(bytes));
}

/** UTCTime until 2049, GeneralizedTime from 2050 (RFC 5280 §4.1.2.5). */
function time(date: Date): Buffer {
  const digits = date.toISOString().replace(/[-:T]/g, '').slice(0, 14);
  return date.getUTCFullYear() < 2050
    ? tagged(0x17, Buffer.from(`${digits.slice(2)}Z`))
    : tagged(0x18, Buffer.from(`${digits}Z`));
}

const ECDSA_SHA256 = seq(oid('1.2.840.10045.4.3.2'));

function pem(label: string, der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}
