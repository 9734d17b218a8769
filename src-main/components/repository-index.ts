import { z } from 'zod';

/** The index a repository serves (`sources serve`, or any folder with this file): names, sizes, SHA-256. */
export const INDEX_FILE = 'index.json';
export const INDEX_FORMAT = 'asr-deploy-repository/1';

export const RepositoryIndexSchema = z.object({
  format: z.literal(INDEX_FORMAT),
  files: z.array(z.object({ name: z.string().min(1), size: z.number().int().nonnegative(), sha256: z.string().regex(/^[0-9a-f]{64}$/) })),
});
export type RepositoryIndex = z.infer<typeof RepositoryIndexSchema>;
