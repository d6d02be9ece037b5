/** The package's CDK entry: `import { StowageRegistry } from 'stowage/lib'` (see docs/deploy.md). */
export { StowageRegistry, PACKAGE_ROOT, type IStowageRegistry } from './stowage-registry.js';
export { MAX_NAME_DEPTH_LIMIT, resolveProps, type StowageRegistryProps, type UploadServiceProps, type CustomDomainProps } from './props.js';
export { StowageStack, type StowageStackProps } from './stack.js';
export { StowageWebAcl, type StowageWebAclProps } from './waf.js';
export { registryPropsFromContext, CONTEXT_KEYS } from './context.js';
