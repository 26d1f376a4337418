// Filled in by the Dataverse simulator work: generates the local CA and sets NODE_EXTRA_CA_CERTS.
export default function setup(): void {}
