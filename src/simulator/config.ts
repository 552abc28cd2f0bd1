import { z } from 'zod'

const ATTRIBUTE_TYPES = ['String', 'Int', 'Double', 'Date'] as const
export type AttributeType = (typeof ATTRIBUTE_TYPES)[number]

const eventConfigurationSchema = z
  .object({
    eventUID: z.guid(),
    eventName: z.string().min(1),
    eventSchemaAttrs: z.record(z.string(), z.enum(ATTRIBUTE_TYPES)),
    featureAccess: z.array(z.literal('Workflow')).default(['Workflow'])
  })
  .strict()
export type EventConfiguration = z.infer<typeof eventConfigurationSchema>

export const DEFAULT_CLIENT = { clientId: 'simulator-client', clientSecret: 'simulator-secret' }

/** The built-in account: an order event with every attribute type, a browse event and a sign-up event. */
export const DEFAULT_EVENT_CONFIGURATIONS: EventConfiguration[] = [
  {
    eventUID: '6f1c1b8e-4d2a-4c1e-9a57-0b9a3f2e8c01',
    eventName: 'Order Placed',
    eventSchemaAttrs: {
      orderId: 'String',
      orderTotal: 'Double',
      itemCount: 'Int',
      orderDate: 'Date',
      currency: 'String',
      couponCode: 'String'
    },
    featureAccess: ['Workflow']
  },
  {
    eventUID: '2b7d9f40-8c3e-4f6a-b1d2-7e5a9c0f4d12',
    eventName: 'Product Browsed',
    eventSchemaAttrs: {
      productId: 'String',
      productName: 'String',
      price: 'Double',
      category: 'String',
      viewedAt: 'Date'
    },
    featureAccess: ['Workflow']
  },
  {
    eventUID: '9e4a2c6d-1f3b-4a8e-8d7c-5b2f0e9a6c23',
    eventName: 'Signed Up',
    eventSchemaAttrs: { firstName: 'String', lastName: 'String', signupSource: 'String', signupDate: 'Date' },
    featureAccess: ['Workflow']
  }
]

const rate = z.number().min(0).max(1)

/** What a simulator config file (`--config sim.json`) may hold; every key is optional. */
export const simulatorConfigSchema = z
  .object({
    clients: z
      .array(z.object({ clientId: z.string().min(1), clientSecret: z.string().min(1) }).strict())
      .min(1)
      .default([DEFAULT_CLIENT]),
    tokenLifetimeSeconds: z.number().positive().default(3600),
    eventConfigurations: z.array(eventConfigurationSchema).default(DEFAULT_EVENT_CONFIGURATIONS),
    limits: z
      .object({
        maxBodyBytes: z
          .number()
          .int()
          .positive()
          .default(10 * 1024 * 1024),
        maxEventsPerRequest: z.number().int().positive().default(1000)
      })
      .strict()
      .prefault({}),
    rateLimit: z
      .object({ requestsPerSecond: z.number().positive(), burst: z.number().int().positive() })
      .strict()
      .optional(),
    faults: z
      .object({
        errorRate: rate.default(0),
        resetRate: rate.default(0),
        latencyMs: z.number().min(0).default(0),
        latencyJitterMs: z.number().min(0).default(0),
        revokeTokensEveryMs: z.number().positive().optional()
      })
      .strict()
      .prefault({}),
    seed: z.number().int().default(1),
    recordEvents: z.boolean().default(true)
  })
  .strict()

export type SimulatorConfigInput = z.input<typeof simulatorConfigSchema>
export type SimulatorConfig = z.output<typeof simulatorConfigSchema>

/** Parses a config, naming the key and what was expected on failure. */
export function parseSimulatorConfig(input: unknown, source = 'simulator config'): SimulatorConfig {
  const parsed = simulatorConfigSchema.safeParse(input)
  if (parsed.success) return parsed.data
  const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`)
  throw new Error(`Invalid ${source}: ${problems.join('; ')}`)
}
