/**
 * Every operation: what a registry serving the whole API registers (the node server, tests).
 * A Lambda entry imports only its own descriptor instead, never this list.
 */
import type { OperationDescriptor } from '../operation.js';
import { deleteRepositoryOperation, lifecyclePreviewOperation, listImagesOperation, usageOperation } from './admin.js';
import { deleteBlobOperation, getBlobOperation, headBlobOperation } from './blobs.js';
import { catalogOperation, listReferrersOperation, listTagsOperation } from './listings.js';
import { deleteManifestOperation, getManifestOperation, headManifestOperation, putManifestOperation } from './manifests.js';
import { pingOperation } from './ping.js';
import { tokenOperation } from './token.js';
import { cancelUploadOperation, getUploadOperation, patchUploadOperation, putUploadOperation, startUploadOperation } from './uploads.js';

export const ALL_OPERATIONS: readonly OperationDescriptor[] = [
  pingOperation,
  catalogOperation,
  listTagsOperation,
  getManifestOperation,
  headManifestOperation,
  putManifestOperation,
  deleteManifestOperation,
  getBlobOperation,
  headBlobOperation,
  deleteBlobOperation,
  startUploadOperation,
  getUploadOperation,
  patchUploadOperation,
  putUploadOperation,
  cancelUploadOperation,
  listReferrersOperation,
  tokenOperation,
  usageOperation,
  listImagesOperation,
  lifecyclePreviewOperation,
  deleteRepositoryOperation,
];
