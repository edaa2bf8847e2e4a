// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";
import {ERC20Permit} from "@openzeppelin/contracts/token/ERC20/extensions/ERC20Permit.sol";

/// @title DevStablecoin
/// @notice The development settlement currency ("dUSD", 6 decimals like USDC) that the embedded
/// chain deploys at start. It has EIP-2612 permits, as USDC and most regulated stablecoins do,
/// and a public faucet so demo investors can fund their wallets. Never deployed in production:
/// there an offering names a real stablecoin's address.
contract DevStablecoin is ERC20, ERC20Permit {
    /// @notice The most one faucet call hands out: one million dUSD.
    uint256 public constant FAUCET_LIMIT = 1_000_000 * 10 ** 6;

    error FaucetLimitExceeded(uint256 requested, uint256 limit);

    constructor() ERC20("Development USD", "dUSD") ERC20Permit("Development USD") {}

    function decimals() public pure override returns (uint8) {
        return 6;
    }

    /// @notice Mints `amount` base units to `to`; anyone may call it (development money).
    function faucet(address to, uint256 amount) external {
        if (amount > FAUCET_LIMIT) revert FaucetLimitExceeded(amount, FAUCET_LIMIT);
        _mint(to, amount);
    }
}
