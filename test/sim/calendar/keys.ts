/**
 * A service-account key made at runtime the way Google issues P12 keys (google-calendar.md §5): an RSA key and a
 * self-signed certificate in a PKCS#12 file, friendlyName `privatekey`, password `notasecret`. Nothing is committed:
 * every call makes a fresh key pair.
 */
import forge from 'node-forge';

export const P12_PASSWORD = 'notasecret';
export const P12_FRIENDLY_NAME = 'privatekey';

export interface ServiceAccountKey {
  /** The PKCS#12 file as bytes (DER). */
  readonly p12: Buffer;
  /** PKCS#1 `BEGIN RSA PRIVATE KEY`, what node-forge's P12 conversion gives. */
  readonly privateKeyPem: string;
  readonly certificatePem: string;
  readonly publicKeyPem: string;
}

export function generateServiceAccountKey(serviceAccountEmail: string, bits = 2048): ServiceAccountKey {
  const keys = forge.pki.rsa.generateKeyPair({ bits, e: 0x10001 });
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.publicKey;
  cert.serialNumber = '01';
  cert.validity.notBefore = new Date(Date.UTC(2020, 0, 1));
  cert.validity.notAfter = new Date(Date.UTC(2099, 11, 31));
  const subject = [{ name: 'commonName', value: serviceAccountEmail }];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.sign(keys.privateKey, forge.md.sha256.create());
  const asn1 = forge.pkcs12.toPkcs12Asn1(keys.privateKey, [cert], P12_PASSWORD, {
    friendlyName: P12_FRIENDLY_NAME,
    algorithm: '3des',
  });
  return {
    p12: Buffer.from(forge.asn1.toDer(asn1).getBytes(), 'binary'),
    privateKeyPem: forge.pki.privateKeyToPem(keys.privateKey),
    certificatePem: forge.pki.certificateToPem(cert),
    publicKeyPem: forge.pki.publicKeyToPem(keys.publicKey),
  };
}

/** Reads the private key back out of a P12 the way a client of the real API converts it (google-calendar.md §5). */
export function privateKeyPemFromP12(p12: Buffer, password = P12_PASSWORD): string {
  const parsed = forge.pkcs12.pkcs12FromAsn1(forge.asn1.fromDer(p12.toString('binary')), password);
  // The certificate bag carries the same friendlyName; the key is in the shrouded key bag.
  const bag = parsed
    .getBags({ friendlyName: P12_FRIENDLY_NAME })
    .friendlyName?.find((b) => b.key !== undefined);
  if (bag?.key === undefined)
    throw new RangeError('no private key with friendlyName "privatekey" in the P12');
  return forge.pki.privateKeyToPem(bag.key);
}
