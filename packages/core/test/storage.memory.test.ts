/** MemoryStorage passes the storage contract; a restart reuses the instance. */
import { MemoryStorage } from '../src/storage/MemoryStorage.js'
import { storageContract } from './storageContract.js'

storageContract('MemoryStorage', async () => ({ storage: new MemoryStorage() }))
