// tsjail convert --from oci: filled in below.
import { UsageError } from './errors';
export async function fromOci(_file: string, _opts: unknown): Promise<void> {
  throw new UsageError('--from oci is not implemented yet');
}
