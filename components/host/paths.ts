/**
 * Places on a host that several services share, named once. The host's tls step writes both
 * directories (scripts/host/tls.sh).
 */

/** The node's certificate and key with the CA: only what serves TLS reads or mounts it. */
export const HOST_TLS_DIR = "/etc/paperless-ha/tls";

/**
 * The cluster CA alone, for whatever only verifies: a directory without the node's key, so mounting
 * it into a container hands over no key.
 */
export const HOST_CA_DIR = "/etc/paperless-ha/ca";
export const HOST_CA_CERT = `${HOST_CA_DIR}/ca.crt`;

/** Paperless runs as uid 1000 in its image; the directories it writes belong to that uid. */
export const APP_UID = 1000;
